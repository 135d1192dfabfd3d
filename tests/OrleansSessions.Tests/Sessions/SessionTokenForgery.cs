using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>The header <see cref="SessionTokens"/> writes: HS256, its type, and the id of the key that signs.</summary>
    public static JsonObject Header(SecurityKey key, string algorithm = SecurityAlgorithms.HmacSha256)
    {
        var header = new JsonObject { ["alg"] = algorithm, ["typ"] = SessionTokens.TokenType };
        if (key.KeyId is not null)
        {
            header["kid"] = key.KeyId;
        }

        return header;
    }

    /// <summary>
    /// A JWS of <paramref name="header"/> (by default <see cref="Header"/>) and <paramref name="payload"/>, MACed with
    /// <paramref name="key"/> by hand, so that a test controls every header member, even ones a library would add.
    /// </summary>
    public static string Sign(SymmetricSecurityKey key, JsonObject payload, string algorithm = SecurityAlgorithms.HmacSha256, JsonObject? header = null)
    {
        var input = $"{Base64UrlEncoder.Encode((header ?? Header(key, algorithm)).ToJsonString())}.{Base64UrlEncoder.Encode(payload.ToJsonString())}";
        var bytes = Encoding.ASCII.GetBytes(input);
        var mac = algorithm switch
        {
            SecurityAlgorithms.HmacSha256 => HMACSHA256.HashData(key.Key, bytes),
            SecurityAlgorithms.HmacSha384 => HMACSHA384.HashData(key.Key, bytes),
            SecurityAlgorithms.HmacSha512 => HMACSHA512.HashData(key.Key, bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "HMAC algorithms only"),
        };
        return $"{input}.{Base64UrlEncoder.Encode(mac)}";
    }

    /// <summary>The same key bytes under another id.</summary>
    public static SymmetricSecurityKey WithKeyId(SymmetricSecurityKey key, string? keyId) => new(key.Key) { KeyId = keyId };

    /// <summary>Header <c>{"alg":"none","typ":"session+jwt"}</c>, the payload, and an empty signature.</summary>
    public static string Unsigned(JsonObject payload)
        => $"{Base64UrlEncoder.Encode(new JsonObject { ["alg"] = "none", ["typ"] = SessionTokens.TokenType }.ToJsonString())}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.";

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

    /// <summary>The header of a token, read without checking anything.</summary>
    public static JsonElement ReadHeader(string token)
        => JsonSerializer.Deserialize<JsonElement>(Base64UrlEncoder.DecodeBytes(token.Split('.')[0]));

    public static SymmetricSecurityKey RandomKey() => new(RandomNumberGenerator.GetBytes(32));

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
