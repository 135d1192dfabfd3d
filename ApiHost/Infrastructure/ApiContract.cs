using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization.Metadata;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using OrleansSessions.Common;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>Every error answer: an RFC 9457 problem document and the extensions this API adds.</summary>
public sealed record ApiProblem(
    string? Type,
    string Title,
    int Status,
    string? Detail,
    string? Instance,
    string? TraceId,
    [property: Description("400: the request fields at fault (as the request names them), each with what is wrong.")]
    IReadOnlyDictionary<string, string[]>? Errors,
    [property: Description("413: the limit that was exceeded: maxRequestBodyBytes, maxValueBytes, maxSessionBytes or maxKeys.")]
    string? Limit,
    [property: Description("503: not-applied (the request did not take effect; safe to send again) or unknown (it may have).")]
    OutageOutcomeName? Outcome);

/// <summary>The <c>outcome</c> of a 503, as written on the wire.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutageOutcomeName>))]
public enum OutageOutcomeName
{
    [JsonStringEnumMemberName("not-applied")]
    NotApplied,

    [JsonStringEnumMemberName("unknown")]
    Unknown,
}

/// <summary>A response header an endpoint sets on one status (documented by <see cref="ApiContract"/>).</summary>
internal sealed record ResponseHeaderMetadata(int StatusCode, string Name, string Description);

/// <summary>The endpoint takes an <c>Idempotency-Key</c>.</summary>
internal sealed record IdempotencyKeyMetadata(bool Required);

/// <summary>The endpoint honours <c>If-Match</c> (412 when it names another version).</summary>
internal sealed record IfMatchMetadata;

/// <summary>
/// The OpenAPI document is the contract: each route declares its statuses, bodies and headers here, and the
/// transformer adds what every route shares (correlation id, 503 with Retry-After, parameter rules), so the document
/// states every status, header and problem a route can answer. A test checks real responses against it.
/// </summary>
internal static class ApiContract
{
    public const string ProblemJson = "application/problem+json";

    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>Path parameters by name: the rule each is checked against.</summary>
    private static readonly Dictionary<string, (string Pattern, int MaxLength, string Description)> PathParameters = new(StringComparer.Ordinal)
    {
        ["sessionId"] = (SessionIds.SchemaPattern, SessionIds.Length, "The session id. Unknown, ended and malformed ids are the same 404."),
        ["sessionIdHash"] = (SessionIds.HashSchemaPattern, 22, "The session id's hash, as listed for the user."),
        ["key"] = (AttributeKeys.SchemaPattern, AttributeKeys.MaxLength, "Attribute name: letters, digits and . _ : - starting with a letter, digit or _."),
        ["userId"] = (Identifiers.SchemaPattern, Identifiers.MaxLength, "User id: letters, digits and . _ : - starting with a letter or digit."),
        ["orderId"] = (Identifiers.SchemaPattern, Identifiers.MaxLength, "Order id, as the Location of its creation named it."),
        ["sku"] = (Identifiers.SchemaPattern, Identifiers.MaxLength, "SKU: letters, digits and . _ : - starting with a letter or digit."),
    };

    public static IServiceCollection AddApiContract(this IServiceCollection services)
        => services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                DescribeCredentials(document);
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context.Description.ActionDescriptor.EndpointMetadata, context.Document);
                return Task.CompletedTask;
            });
            o.AddSchemaTransformer((schema, context, _) =>
            {
                OnlyRequiredWhenSure(schema, context.JsonTypeInfo);
                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// Records' constructor parameters all come out as required; a nullable member is optional (a request may leave
    /// it out, a problem document may not carry it) unless it is marked [Required].
    /// </summary>
    private static void OnlyRequiredWhenSure(OpenApiSchema schema, JsonTypeInfo type)
    {
        if (schema.Required is not { Count: > 0 } required || type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            var nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (!property.PropertyType.IsValueType && property.IsGetNullable);
            var markedRequired = property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true;
            if (nullable && !markedRequired)
            {
                required.Remove(property.Name);
            }
        }
    }

    /// <summary>A JSON request body (UTF-8 only; other media types or charsets are 415).</summary>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder, params string[] contentTypes)
        where T : notnull
        => contentTypes.Length == 0
            ? builder.Accepts<T>(JsonBody.Json)
            : builder.Accepts<T>(contentTypes[0], contentTypes[1..]);

    /// <summary>A JSON request body that may be left out: a request without one is valid, so the document must not require it.</summary>
    public static RouteHandlerBuilder AcceptsOptionalJson<T>(this RouteHandlerBuilder builder)
        where T : notnull
        => builder.Accepts<T>(isOptional: true, JsonBody.Json);

    /// <summary>Problem documents for these statuses.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<ApiProblem>(status, ProblemJson);
        }

        return builder;
    }

    /// <summary>Sets a header on responses with this status.</summary>
    public static RouteHandlerBuilder WithResponseHeader(this RouteHandlerBuilder builder, int status, string name, string description)
        => builder.WithMetadata(new ResponseHeaderMetadata(status, name, description));

    /// <summary>The 503 every grain-backed route can answer.</summary>
    public static RouteGroupBuilder ProducesUnavailable(this RouteGroupBuilder group)
        => group.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(ApiProblem), [ProblemJson]));

    /// <summary>Takes an <c>Idempotency-Key</c> header (1..255 printable ASCII characters).</summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder, bool required)
        => builder.WithMetadata(new IdempotencyKeyMetadata(required));

    /// <summary>Honours If-Match: documents the header and the 412.</summary>
    public static RouteHandlerBuilder WithIfMatch(this RouteHandlerBuilder builder)
        => builder.WithMetadata(new IfMatchMetadata()).ProducesProblems(StatusCodes.Status412PreconditionFailed);

    /// <summary>The credentials the API takes (README, Security model).</summary>
    private static void DescribeCredentials(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Security.Credentials.ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = Security.Credentials.ApiKeyHeader,
            Description = "A service's API key; its scopes are configured with it.",
        };
        document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A service's access token from the configured OpenID Connect issuer (scopes in scope or scp), or an end user's session token.",
        };
    }

    private static void Describe(OpenApiOperation operation, IList<object> metadata, OpenApiDocument? document)
    {
        if (metadata.OfType<Security.AccessRule>().LastOrDefault() is { } access)
        {
            operation.Description = operation.Description is { Length: > 0 } d ? $"{d}\n\n{access.Describe()}" : access.Describe();
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Security.Credentials.ApiKeyScheme, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] },
            ];
        }

        operation.Parameters ??= [];
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            if (parameter.In == ParameterLocation.Path && parameter.Name is { } name && PathParameters.TryGetValue(name, out var rule))
            {
                parameter.Description = rule.Description;
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = rule.Pattern, MaxLength = rule.MaxLength, MinLength = 1 };
            }
        }

        operation.Parameters.Add(new OpenApiParameter
        {
            Name = CorrelationHeader,
            In = ParameterLocation.Header,
            Description = "Carried through grain calls and events and echoed on the response; a value that is not such a token is replaced.",
            Schema = CorrelationSchema(),
        });

        if (metadata.OfType<IdempotencyKeyMetadata>().FirstOrDefault() is { } idempotency)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyKeys.Header,
                In = ParameterLocation.Header,
                Required = idempotency.Required,
                Description = "The same key again answers what the first request did, without doing it twice; with a different body: 422.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = IdempotencyKeys.SchemaPattern, MaxLength = IdempotencyKeys.MaxLength },
            });
        }

        if (metadata.OfType<IfMatchMetadata>().Any())
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "If-Match",
                In = ParameterLocation.Header,
                Description = "One ETag as returned by this API, or *: the change applies only to that version (else 412). Without it the last writer wins.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse concrete)
            {
                continue;
            }

            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            concrete.Headers[CorrelationHeader] = Header("The request's correlation id (or the trace id).", CorrelationSchema(), required: true);
            var code = int.Parse(status, System.Globalization.CultureInfo.InvariantCulture);
            if (code is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests)
            {
                concrete.Headers["Retry-After"] = Header(
                    "Seconds to wait before trying again.", new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+$" }, required: true);
            }

            foreach (var header in metadata.OfType<ResponseHeaderMetadata>().Where(h => h.StatusCode == code))
            {
                concrete.Headers[header.Name] = Header(header.Description, new OpenApiSchema { Type = JsonSchemaType.String }, required: true);
            }
        }
    }

    private static OpenApiSchema CorrelationSchema() => new()
    {
        Type = JsonSchemaType.String,
        Pattern = CorrelationIds.SchemaPattern,
        MaxLength = CorrelationIds.MaxLength,
    };

    private static OpenApiHeader Header(string description, OpenApiSchema schema, bool required)
        => new() { Description = description, Schema = schema, Required = required };
}
