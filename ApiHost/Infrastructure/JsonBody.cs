using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// Request bodies, read once at the edge: the media type and charset are checked (415 otherwise), the JSON is
/// canonicalized (<see cref="CanonicalJson"/>: valid UTF-8 and Unicode, no duplicate names, bounded depth), then bound
/// strictly (numbers are numbers, unknown members are refused). Every refusal is a
/// <see cref="DomainValidationException"/> naming the request's own field, so nothing malformed reaches a grain.
/// </summary>
internal static class JsonBody
{
    public const string Json = "application/json";
    public const string MergePatchJson = "application/merge-patch+json";

    private static readonly JsonSerializerOptions Binding = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The body as canonical JSON, or <see langword="null"/> when the request has none.</summary>
    /// <param name="enclosingLevels">Levels the body adds above the values it carries (see <see cref="CanonicalJson.Canonicalize(ReadOnlySpan{byte}, string, int)"/>).</param>
    public static async Task<string?> ReadCanonicalAsync(HttpRequest request, int enclosingLevels = 0, params string[] mediaTypes)
    {
        using var buffer = new MemoryStream();

        // Kestrel refuses a body over Api:MaxRequestBodyBytes while it is read (413).
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        if (buffer.Length == 0)
        {
            return null;
        }

        CheckMediaType(request.ContentType, mediaTypes.Length == 0 ? [Json] : mediaTypes);
        return CanonicalJson.Canonicalize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "", enclosingLevels).OrThrow();
    }

    /// <summary>The canonical body, required.</summary>
    public static async Task<string> ReadRequiredAsync(HttpRequest request, int enclosingLevels = 0, params string[] mediaTypes)
        => await ReadCanonicalAsync(request, enclosingLevels, mediaTypes) ?? throw NoBody();

    /// <summary>
    /// The body bound to <typeparamref name="T"/>; an absent body binds <paramref name="whenAbsent"/> when given and is
    /// refused otherwise.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, int enclosingLevels = 0, string? whenAbsent = null)
        where T : class
    {
        var json = await ReadCanonicalAsync(request, enclosingLevels) ?? whenAbsent ?? throw NoBody();
        try
        {
            return JsonSerializer.Deserialize<T>(json, Binding)
                ?? throw new DomainValidationException("body", "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw Explain<T>(e);
        }
    }

    /// <summary>A member the request must carry (bound requests keep every member optional, so absence is ours to name).</summary>
    public static T Required<T>(T? value, string field)
        where T : struct
        => value ?? throw Missing(field);

    /// <inheritdoc cref="Required{T}(T?, string)"/>
    public static string Required(string? value, string field) => value ?? throw Missing(field);

    private static DomainValidationException Missing(string field) => new(field, $"'{field}' is required.");

    private static DomainValidationException NoBody() => new("body", "A JSON request body is required.");

    /// <summary>Our own words for a binding failure: the field it is about, never the serializer's message.</summary>
    private static DomainValidationException Explain<T>(JsonException e)
    {
        var path = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        if (path is null)
        {
            return new DomainValidationException("body", "The request body must be a JSON object.");
        }

        var member = path.Split('.', '[')[0];
        var known = Binding.GetTypeInfo(typeof(T)).Properties.Any(prop => prop.Name == member);
        return known
            ? new DomainValidationException(path, $"'{path}' has a value of the wrong type or out of range.")
            : new DomainValidationException(member, $"'{member}' is not a member of this request.");
    }

    /// <summary>JSON only, and only as UTF-8 (RFC 8259): any other media type or charset is 415.</summary>
    private static void CheckMediaType(string? contentType, string[] accepted)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !accepted.Any(a => mediaType.MediaType.Equals(a, StringComparison.OrdinalIgnoreCase)))
        {
            throw new UnsupportedMediaTypeException(accepted);
        }

        var charset = mediaType.Charset;
        if (charset.HasValue && HeaderUtilities.RemoveQuotes(charset) is var name
            && !name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !name.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw new UnsupportedMediaTypeException(accepted);
        }
    }
}

/// <summary>A request body that is not UTF-8 JSON of an accepted media type (415).</summary>
internal sealed class UnsupportedMediaTypeException(IReadOnlyList<string> accepted)
    : Exception($"The request body must be {string.Join(" or ", accepted)} in UTF-8.")
{
    public IReadOnlyList<string> Accepted { get; } = accepted;

    /// <summary>For the Accept header of the 415 answer.</summary>
    public StringValues AcceptHeader => new([.. Accepted]);
}
