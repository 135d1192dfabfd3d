using System.Collections.Immutable;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
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
    public static SessionResponse From(string sessionId, SessionView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var attributes = new Dictionary<string, JsonElement>(view.Attributes.Count, StringComparer.Ordinal);
        foreach (var (key, value) in view.Attributes)
        {
            if (Servable(value) is { } element)
            {
                attributes[key] = element;
            }
        }

        return new(
            sessionId,
            view.UserId,
            attributes,
            view.CreatedAt,
            view.LastAccessAt,
            view.IdleExpiresAt,
            view.AbsoluteExpiresAt,
            view.ExpiresAt,
            view.Version);
    }

    /// <summary>
    /// Grains store canonical JSON only and set aside what they cannot serve when they load; this is the last guard,
    /// so a value that still cannot be read is left out instead of making the whole session unreadable.
    /// </summary>
    private static JsonElement? Servable(string value)
    {
        try
        {
            using var document = JsonDocument.Parse(value, new JsonDocumentOptions { MaxDepth = CanonicalJson.MaxValueDepth });
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
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
