using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansSessions.Client.Tokens;
using OrleansSessions.Sessions;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// Builds tokens as a forger, or a misconfigured issuer, would: each differs from a good token in one respect only, so
/// a refusal shows that respect is checked. <see cref="Payload"/> with nothing changed must validate (the control).
/// </summary>
internal static class SessionTokenForgery
{
    public const string Issuer = "orleanssessions";
    public const string Audience = "orleanssessions";

    /// <summary>The claims <see cref="SessionTokens"/> would issue for <paramref name="session"/> at <paramref name="now"/>.</summary>
    public static JsonObject Payload(TestSession session, DateTimeOffset now, TimeSpan lifetime)
    {
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            [SessionTokens.SessionIdClaim] = SessionIds.Hash(session.SessionId),
            [SessionTokens.SecurityStampClaim] = session.SecurityStamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        };
        if (session.UserId is not null)
        {
            payload[SessionTokens.UserIdClaim] = session.UserId;
        }

        return payload;
    }

    public static string Sign(SecurityKey key, JsonObject payload, string algorithm = SecurityAlgorithms.HmacSha256)
        => new JsonWebTokenHandler().CreateToken(payload.ToJsonString(), new SigningCredentials(key, algorithm));

    /// <summary>Header <c>{"alg":"none","typ":"JWT"}</c>, the payload, and an empty signature.</summary>
    public static string Unsigned(JsonObject payload)
        => $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.";

    /// <summary>A signed token whose payload is changed afterwards; header and signature are kept.</summary>
    public static string Tamper(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])))!.AsObject();
        change(payload);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
    }

    /// <summary>The payload of a token, read without checking anything.</summary>
    public static JsonElement ReadPayload(string token)
        => JsonSerializer.Deserialize<JsonElement>(Base64UrlEncoder.DecodeBytes(token.Split('.')[1]));

    public static SymmetricSecurityKey RandomKey() => new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static SessionCreate NewSession(string? userId, TimeSpan? idleTimeout = null)
        => new(userId, ImmutableDictionary<string, string>.Empty, idleTimeout, null, "token tests");

    public static string NewUserId() => $"user-{Guid.NewGuid():N}";
}

/// <summary>A session as a test holds it: its id (which only its creator ever sees) and its view.</summary>
public sealed record TestSession(string SessionId, SessionView View)
{
    public long SecurityStamp => View.SecurityStamp;

    public string? UserId => View.UserId;

    public DateTimeOffset ExpiresAt => View.ExpiresAt;
}
