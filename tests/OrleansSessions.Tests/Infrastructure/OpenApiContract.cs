using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>One operation of an OpenAPI document: method, path template and the operation object.</summary>
public sealed record ContractOperation(string Method, string Path, JsonElement Definition)
{
    /// <summary>"METHOD /path/{template}", as scenarios name operations.</summary>
    public string Key => $"{Method} {Path}";

    /// <summary>The response keys the operation declares ("200", "4XX", "default").</summary>
    public IReadOnlyList<string> DeclaredStatuses
        => Definition.TryGetProperty("responses", out var responses) ? [.. responses.EnumerateObject().Select(r => r.Name)] : [];

    public override string ToString() => Key;
}

/// <summary>A response as received: status, headers (response and content headers together) and body text.</summary>
public sealed record ContractResponse(int Status, IReadOnlyDictionary<string, string> Headers, string? MediaType, string Body)
{
    public static async Task<ContractResponse> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat<KeyValuePair<string, IEnumerable<string>>>(response.Content.Headers))
        {
            headers[name] = string.Join(", ", values);
        }

        return new ContractResponse(
            (int)response.StatusCode, headers, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The body as JSON (it must be JSON).</summary>
    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        }
    }
}

/// <summary>
/// An OpenAPI 3.1 document as the contract real responses are checked against. Its schemas are JSON Schema 2020-12:
/// each schema checked is built as a document of its own that carries every component schema under <c>$defs</c>, with
/// <c>#/components/schemas/X</c> references rewritten to <c>#/$defs/X</c>, so references resolve inside it.
/// </summary>
public sealed class OpenApiContract
{
    private const string SchemaRefPrefix = "#/components/schemas/";
    private const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";

    private static readonly string[] HttpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    private readonly JsonObject definitions;
    private readonly ConcurrentDictionary<string, JsonSchema> built = new(StringComparer.Ordinal);
    private readonly BuildOptions buildOptions = new() { SchemaRegistry = new SchemaRegistry() };
    private readonly EvaluationOptions evaluationOptions;
    private int builtCount;

    private OpenApiContract(JsonElement document)
    {
        Document = document;
        var schemas = document.TryGetProperty("components", out var components) && components.TryGetProperty("schemas", out var s)
            ? JsonNode.Parse(s.GetRawText())!.AsObject()
            : [];
        definitions = (JsonObject)RewriteRefs(schemas)!;

        // OpenAPI's number formats are assertions here too: an int32 field must hold an int32.
        var formats = new FormatRegistry();
        formats.Register(new PredicateFormat("int32", e => e.ValueKind != JsonValueKind.Number || e.TryGetInt32(out _)));
        formats.Register(new PredicateFormat("int64", e => e.ValueKind != JsonValueKind.Number || e.TryGetInt64(out _)));
        // float and double only say how wide a number is: any JSON number will do.
        formats.Register(new PredicateFormat("float", _ => true));
        formats.Register(new PredicateFormat("double", _ => true));
        evaluationOptions = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true, FormatRegistry = formats };

        var paths = document.TryGetProperty("paths", out var p) ? p.EnumerateObject().ToList() : [];
        Operations = [.. paths.SelectMany(path => HttpMethods
            .Where(m => path.Value.TryGetProperty(m, out _))
            .Select(m => new ContractOperation(m.ToUpperInvariant(), path.Name, path.Value.GetProperty(m))))];
    }

    public JsonElement Document { get; }

    /// <summary>Every operation the document declares, in document order.</summary>
    public IReadOnlyList<ContractOperation> Operations { get; }

    public static async Task<OpenApiContract> FetchAsync(HttpClient client, string uri = "/openapi/v1.json")
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.GetAsync(new Uri(uri, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {uri}: expected 200, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return new OpenApiContract(document.RootElement.Clone());
    }

    public ContractOperation Operation(string key)
        => Operations.FirstOrDefault(o => o.Key == key) ?? throw new InvalidOperationException($"The document has no operation '{key}'.");

    /// <summary>The component schema named <paramref name="name"/>.</summary>
    public JsonElement ComponentSchema(string name) => Document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    /// <summary>Follows a <c>$ref</c> to a component (response, header, parameter, schema) within the document.</summary>
    public JsonElement Resolve(JsonElement element)
    {
        for (var hops = 0; element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$ref", out var reference); hops++)
        {
            Assert.True(hops < 16 && reference.GetString() is ['#', '/', ..], $"unresolvable $ref {reference}");
            element = reference.GetString()![2..].Split('/')
                .Select(t => Uri.UnescapeDataString(t).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))
                .Aggregate(Document, (node, token) => node.GetProperty(token));
        }

        return element;
    }

    /// <summary>The response object the operation declares for <paramref name="status"/> (exact, then 4XX-style, then default).</summary>
    public JsonElement? DeclaredResponse(ContractOperation operation, int status)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (!operation.Definition.TryGetProperty("responses", out var responses))
        {
            return null;
        }

        foreach (var key in new[] { status.ToString(CultureInfo.InvariantCulture), $"{status / 100}XX", $"{status / 100}xx", "default" })
        {
            if (responses.TryGetProperty(key, out var response))
            {
                return Resolve(response);
            }
        }

        return null;
    }

    /// <summary>
    /// Everything in <paramref name="response"/> that the document does not declare for <paramref name="operation"/>:
    /// an undeclared status, a missing or malformed required header, an undeclared media type, a body that is absent,
    /// unexpected or invalid against the declared schema. Empty when the response conforms.
    /// </summary>
    public IReadOnlyList<string> Check(ContractOperation operation, ContractResponse response)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(response);
        var at = $"{operation.Key} → {response.Status}";
        if (DeclaredResponse(operation, response.Status) is not { } declared)
        {
            return [$"{at}: status not declared (declared: {string.Join(", ", operation.DeclaredStatuses)}); body: {Snippet(response.Body)}"];
        }

        var mismatches = new List<string>();
        CheckHeaders(at, declared, response, mismatches);
        CheckBody(at, declared, response, mismatches);
        return mismatches;
    }

    /// <summary>
    /// What a request that succeeded shows the document to be too strict about: a path value its parameter schema
    /// refuses, a body it requires that was not sent, a media type it does not list.
    /// </summary>
    public IReadOnlyList<string> CheckAcceptedRequest(ContractOperation operation, string path, string? requestMediaType)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(path);
        var at = $"{operation.Key} (request answered 2xx)";
        var mismatches = new List<string>();
        var values = PathValues(operation.Path, path);
        foreach (var parameter in Parameters(operation).Where(p => p.GetProperty("in").GetString() == "path"))
        {
            var name = parameter.GetProperty("name").GetString()!;
            if (values.TryGetValue(name, out var value) && parameter.TryGetProperty("schema", out var schema))
            {
                foreach (var error in Validate(schema, TextInstance(schema, value)))
                {
                    mismatches.Add($"{at}: path parameter '{name}' = '{Snippet(value)}' is refused by its schema: {error}");
                }
            }
        }

        var body = operation.Definition.TryGetProperty("requestBody", out var b) ? Resolve(b) : (JsonElement?)null;
        if (requestMediaType is null && body is { } required && required.TryGetProperty("required", out var r) && r.GetBoolean())
        {
            mismatches.Add($"{at}: the document marks the request body required, but a request without one succeeded");
        }

        if (requestMediaType is not null && body is { } declaredBody
            && !declaredBody.GetProperty("content").EnumerateObject().Any(c => MediaTypeMatches(c.Name, requestMediaType)))
        {
            mismatches.Add($"{at}: request media type {requestMediaType} is not one the document lists");
        }

        return mismatches;
    }

    /// <summary>The operation's parameters, those of its path item included.</summary>
    public IEnumerable<JsonElement> Parameters(ContractOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var pathItem = Document.GetProperty("paths").GetProperty(operation.Path);
        foreach (var owner in new[] { pathItem, operation.Definition })
        {
            if (owner.TryGetProperty("parameters", out var parameters))
            {
                foreach (var parameter in parameters.EnumerateArray())
                {
                    yield return Resolve(parameter);
                }
            }
        }
    }

    /// <summary>The errors of <paramref name="instance"/> against <paramref name="schema"/> (an OpenAPI schema object).</summary>
    public IReadOnlyList<string> Validate(JsonElement schema, JsonElement instance)
    {
        var results = Build(schema).Evaluate(instance, evaluationOptions);
        if (results.IsValid)
        {
            return [];
        }

        var errors = new List<string>();
        Collect(results, errors);
        return errors.Count > 0 ? errors : ["invalid (no error detail)"];
    }

    private void CheckHeaders(string at, JsonElement declared, ContractResponse response, List<string> mismatches)
    {
        if (!declared.TryGetProperty("headers", out var headers))
        {
            return;
        }

        foreach (var property in headers.EnumerateObject())
        {
            var header = Resolve(property.Value);
            var required = header.TryGetProperty("required", out var r) && r.GetBoolean();
            if (!response.Headers.TryGetValue(property.Name, out var value))
            {
                if (required)
                {
                    mismatches.Add($"{at}: required header {property.Name} is missing");
                }

                continue;
            }

            if (header.TryGetProperty("schema", out var schema))
            {
                foreach (var error in Validate(schema, TextInstance(schema, value)))
                {
                    mismatches.Add($"{at}: header {property.Name}: '{Snippet(value)}' does not match its schema: {error}");
                }
            }
        }
    }

    private void CheckBody(string at, JsonElement declared, ContractResponse response, List<string> mismatches)
    {
        var content = declared.TryGetProperty("content", out var c) ? c.EnumerateObject().ToList() : [];
        if (content.Count == 0)
        {
            if (response.Body.Length > 0 || response.MediaType is not null)
            {
                mismatches.Add($"{at}: the document declares no body, got {response.MediaType ?? "no Content-Type"}: {Snippet(response.Body)}");
            }

            return;
        }

        if (response.MediaType is null || content.FirstOrDefault(m => MediaTypeMatches(m.Name, response.MediaType)) is not { Name: not null } media)
        {
            mismatches.Add($"{at}: Content-Type {response.MediaType ?? "(none)"} is not a declared media type ({string.Join(", ", content.Select(m => m.Name))})");
            return;
        }

        if (!media.Value.TryGetProperty("schema", out var schema) || !IsJson(response.MediaType))
        {
            return;
        }

        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(response.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            mismatches.Add($"{at}: the {response.MediaType} body is not JSON ({e.Message}): {Snippet(response.Body)}");
            return;
        }

        var errors = Validate(schema, body);
        if (errors.Count > 0)
        {
            mismatches.Add($"{at}: body does not match the declared schema {Describe(schema)}: {string.Join("; ", errors)}; body: {Snippet(response.Body)}");
        }
    }

    private JsonSchema Build(JsonElement schema)
    {
        var text = schema.GetRawText();
        return built.GetOrAdd(text, _ =>
        {
            // A wrapper, so the schema's own keywords (even a $defs or $schema of its own) are left as they are.
            var wrapper = new JsonObject
            {
                ["$schema"] = Draft202012,
                ["$defs"] = definitions.DeepClone(),
                ["allOf"] = new JsonArray(RewriteRefs(JsonNode.Parse(text))),
            };
            using var document = JsonDocument.Parse(wrapper.ToJsonString());
            var uri = new Uri($"https://contract.test/schemas/{Interlocked.Increment(ref builtCount)}");
            return JsonSchema.Build(document.RootElement.Clone(), buildOptions, uri);
        });
    }

    private static JsonNode? RewriteRefs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name == "$ref" && value?.GetValueKind() == JsonValueKind.String
                        && value.GetValue<string>() is { } target && target.StartsWith(SchemaRefPrefix, StringComparison.Ordinal))
                    {
                        obj[name] = "#/$defs/" + target[SchemaRefPrefix.Length..];
                    }
                    else
                    {
                        RewriteRefs(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RewriteRefs(item);
                }

                break;
        }

        return node;
    }

    private static void Collect(EvaluationResults results, List<string> errors)
    {
        if (results.Errors is { Count: > 0 } own)
        {
            foreach (var (keyword, message) in own)
            {
                errors.Add($"{Location(results)} [{keyword}] {message}");
            }
        }

        foreach (var detail in results.Details ?? [])
        {
            Collect(detail, errors);
        }
    }

    private static string Location(EvaluationResults results)
    {
        var location = results.InstanceLocation.ToString();
        return location.Length == 0 ? "(root)" : location;
    }

    /// <summary>A header or path value as the JSON instance its schema describes: a number when it says number.</summary>
    private static JsonElement TextInstance(JsonElement schema, string value)
    {
        var types = schema.TryGetProperty("type", out var type)
            ? type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()]
            : [];
        var numeric = types.Contains("integer") || types.Contains("number");
        var json = numeric && !types.Contains("string") && decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? value
            : JsonSerializer.Serialize(value);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static Dictionary<string, string> PathValues(string template, string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = template.Split('/');
        var segments = path.Split('?')[0].Split('/');
        for (var i = 0; i < Math.Min(names.Length, segments.Length); i++)
        {
            if (names[i] is ['{', .. var name, '}'])
            {
                values[name] = Uri.UnescapeDataString(segments[i]);
            }
        }

        return values;
    }

    private static bool MediaTypeMatches(string declared, string actual)
    {
        if (declared == "*/*")
        {
            return true;
        }

        var bare = declared.Split(';')[0].Trim();
        return bare.EndsWith("/*", StringComparison.Ordinal)
            ? actual.StartsWith(bare[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(bare, actual, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsJson(string mediaType)
        => mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static string Describe(JsonElement schema)
        => schema.TryGetProperty("$ref", out var reference) ? reference.GetString()! : Snippet(schema.GetRawText());

    private static string Snippet(string text) => text.Length <= 400 ? text : $"{text[..400]}… ({text.Length} chars)";
}
