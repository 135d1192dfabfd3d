using System.Buffers;
using System.Collections.Immutable;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using OrleansSessions.Common;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Sessions;

/// <summary>Request to create a session; every member is optional and an absent body is <c>{}</c>.</summary>
public sealed record CreateSessionRequest(
    [property: Description("Binds the session to this user at once (the per-user session limit applies).")]
    [property: MaxLength(Identifiers.MaxLength), RegularExpression(Identifiers.SchemaPattern)]
    string? UserId,
    [property: Description("Initial attributes: names as for PUT /sessions/{sessionId}/attributes/{key}, values any JSON nested at most 32 levels.")]
    Dictionary<string, JsonElement>? Attributes,
    [property: Description("Sliding idle timeout in seconds (the silo's configured bounds apply; default 1800).")]
    [property: Range(1, int.MaxValue)]
    int? IdleTimeoutSeconds,
    [property: Description("Absolute lifetime in seconds (the silo's configured bounds apply; default 43200).")]
    [property: Range(1, int.MaxValue)]
    int? AbsoluteLifetimeSeconds,
    [property: Description("Shown in the user's session list; the User-Agent when absent; cut to 256 characters.")]
    string? ClientInfo)
{
    /// <summary>The request object and its <c>attributes</c> object sit above each attribute value.</summary>
    internal const int EnclosingLevels = 2;

    /// <summary>The grain's command, checked here first (the grain checks again for callers that skip HTTP).</summary>
    internal SessionCreate ToCommand(string? userAgent)
    {
        if (UserId is not null)
        {
            Identifiers.Validate(UserId, "userId");
        }

        var attributes = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Attributes ?? [])
        {
            // The body is canonical already, so each value's raw text is too.
            attributes[AttributeKeys.Validate(key, "attributes")] = value.GetRawText();
        }

        return new SessionCreate(
            UserId,
            attributes.ToImmutable(),
            Seconds(IdleTimeoutSeconds, "idleTimeoutSeconds"),
            Seconds(AbsoluteLifetimeSeconds, "absoluteLifetimeSeconds"),
            SessionClientInfo.Normalize(ClientInfo ?? userAgent));
    }

    private static TimeSpan? Seconds(int? seconds, string field) => seconds switch
    {
        null => null,
        > 0 => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new DomainValidationException(field, $"'{field}' must be a positive number of seconds."),
    };
}

/// <summary>Request to bind a user to a session (login).</summary>
public sealed record LoginRequest(
    [property: Required, MaxLength(Identifiers.MaxLength), RegularExpression(Identifiers.SchemaPattern)]
    string? UserId);

/// <summary>A session as the API shows it; the ETag header carries <see cref="Version"/>.</summary>
public sealed record SessionResponse(
    [property: Description("The session id (43 characters, base64url). After rotate or login: the new id.")]
    string Id,
    string? UserId,
    [property: Description("Attribute values as stored (canonical JSON).")]
    IReadOnlyDictionary<string, JsonElement> Attributes,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastAccessAt,
    DateTimeOffset IdleExpiresAt,
    DateTimeOffset AbsoluteExpiresAt,
    DateTimeOffset ExpiresAt,
    long Version)
{
    /// <summary>The response for a view; its attributes are written to the body as stored, without a parse per read.</summary>
    public static SessionResponse From(string sessionId, SessionView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new(
            sessionId,
            view.UserId,
            new StoredAttributes(view.Attributes),
            view.CreatedAt,
            view.LastAccessAt,
            view.IdleExpiresAt,
            view.AbsoluteExpiresAt,
            view.ExpiresAt,
            view.Version);
    }
}

/// <summary>
/// A session's attributes as the grain holds them: canonical JSON texts. The body writer copies them into the response
/// as they are (<see cref="WriteTo"/>); in-process readers get them parsed, on first use.
/// Grains store canonical JSON only and set aside what they cannot serve when they load; this is the last guard, so a
/// value that still cannot be read is left out instead of making the whole session unreadable.
/// </summary>
internal sealed class StoredAttributes(ImmutableDictionary<string, string> stored) : IReadOnlyDictionary<string, JsonElement>
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private Dictionary<string, JsonElement>? parsed;

    private Dictionary<string, JsonElement> Parsed => parsed ??= Parse(stored);

    public int Count => Parsed.Count;

    public IEnumerable<string> Keys => Parsed.Keys;

    public IEnumerable<JsonElement> Values => Parsed.Values;

    public JsonElement this[string key] => Parsed[key];

    public bool ContainsKey(string key) => Parsed.ContainsKey(key);

    public bool TryGetValue(string key, out JsonElement value) => Parsed.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, JsonElement>> GetEnumerator() => Parsed.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Writes the attributes as one JSON object, each readable value copied as it is stored.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        var longest = 0;
        foreach (var (_, value) in stored)
        {
            longest = Math.Max(longest, value.Length);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(StrictUtf8.GetMaxByteCount(longest));
        try
        {
            writer.WriteStartObject();
            foreach (var (key, value) in stored)
            {
                if (TryEncodeReadable(value, buffer, out var length))
                {
                    writer.WritePropertyName(key);
                    writer.WriteRawValue(buffer.AsSpan(0, length), skipInputValidation: true);
                }
            }

            writer.WriteEndObject();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Puts the value's UTF-8 text in the buffer; false unless it is one JSON value within the depth a value may have.</summary>
    private static bool TryEncodeReadable(string value, byte[] buffer, out int length)
    {
        try
        {
            length = StrictUtf8.GetBytes(value, buffer);
        }
        catch (EncoderFallbackException)
        {
            // An unpaired surrogate: the value has no UTF-8 form.
            length = 0;
            return false;
        }

        var reader = new Utf8JsonReader(buffer.AsSpan(0, length), new JsonReaderOptions { MaxDepth = CanonicalJson.MaxValueDepth });
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return reader.BytesConsumed > 0;
    }

    private static Dictionary<string, JsonElement> Parse(ImmutableDictionary<string, string> stored)
    {
        var parsed = new Dictionary<string, JsonElement>(stored.Count, StringComparer.Ordinal);
        foreach (var (key, value) in stored)
        {
            try
            {
                using var document = JsonDocument.Parse(value, new JsonDocumentOptions { MaxDepth = CanonicalJson.MaxValueDepth });
                parsed[key] = document.RootElement.Clone();
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
            {
                // Left out, as in the body (see the class summary).
            }
        }

        return parsed;
    }
}

/// <summary>
/// How session bodies are written: the API's JSON options plus <see cref="StoredAttributesConverter"/>. Kept apart from
/// the API's options, which also describe the API (OpenAPI): there, the attributes stay a dictionary of JSON values.
/// </summary>
internal sealed class SessionResponseJson(IOptions<JsonOptions> api)
{
    public JsonTypeInfo<SessionResponse> TypeInfo { get; } = (JsonTypeInfo<SessionResponse>)new JsonSerializerOptions(api.Value.SerializerOptions)
    {
        Converters = { new StoredAttributesConverter() },
    }.GetTypeInfo(typeof(SessionResponse));
}

/// <summary>Writes <see cref="StoredAttributes"/> as stored; any other attribute dictionary value by value.</summary>
internal sealed class StoredAttributesConverter : JsonConverter<IReadOnlyDictionary<string, JsonElement>>
{
    public override IReadOnlyDictionary<string, JsonElement>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(ref reader, options);

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, JsonElement> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is StoredAttributes stored)
        {
            stored.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var (key, element) in value)
        {
            writer.WritePropertyName(key);
            element.WriteTo(writer);
        }

        writer.WriteEndObject();
    }
}

/// <summary>One of a user's live sessions: the id only as its hash.</summary>
public sealed record UserSessionResponse(
    [property: Description("SHA-256 of the session id, 128 bits, base64url: names the session without revealing it.")]
    string SessionIdHash,
    DateTimeOffset CreatedAt,
    [property: Description("The session's current last access (the index's last stored value when the session did not answer in time).")]
    DateTimeOffset LastAccessAt,
    string? ClientInfo);

/// <summary>The answer to "log out everywhere".</summary>
public sealed record LogoutEverywhereResponse([property: Description("How many sessions were ended.")] int Ended);
