using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansSessions.Sessions;

namespace OrleansSessions.Client.Tokens;

/// <summary>
/// Issues and validates client-side session tokens: HS256 JWTs carrying the session id's hash (<c>sid</c>), its user
/// (<c>sub</c>) and its security stamp (<c>sst</c>). A signature alone cannot be revoked, so validation also asks the
/// session grain whether the session is alive with the same stamp: rotating, invalidating or logging out everywhere
/// revokes outstanding tokens at once, at the price of one grain call (served from memory) per validation.
/// The API host and other services use this one class, so a token means the same everywhere.
/// </summary>
public sealed partial class SessionTokens
{
    /// <summary>
    /// The <c>typ</c> header of every session token (explicit typing, RFC 8725 section 3.11): validation refuses any
    /// other, so a JWT of another kind signed with the same key is never taken for a session token, and an
    /// authentication handler can tell session tokens from other bearer tokens (<see cref="IsSessionToken"/>).
    /// </summary>
    public const string TokenType = "session+jwt";

    public const string SessionIdClaim = "sid";
    public const string SecurityStampClaim = "sst";
    public const string UserIdClaim = "sub";

    /// <summary>Far longer than any header we write; a longer one is not ours and is not decoded.</summary>
    private const int MaxHeaderChars = 512;

    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TimeProvider time;
    private readonly ILogger logger;

    // Swapped whole by Reload: a token is issued or validated against one consistent set of options and keys.
    private volatile Settings current;

    /// <exception cref="ArgumentException">The options cannot work (see <see cref="SessionTokenOptions"/>).</exception>
    public SessionTokens(SessionTokenOptions options, TimeProvider? timeProvider = null, ILogger<SessionTokens>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger<SessionTokens>.Instance;
        SigningKeyRing keys;
        if (options.HasConfiguredKeys)
        {
            keys = SigningKeyRing.From(options);
            LogKeys(this.logger, keys.Active.KeyId, string.Join(", ", keys.KeyIds));
        }
        else
        {
            keys = SigningKeyRing.Ephemeral();
            LogEphemeralKey(this.logger);
        }

        current = Build(options, keys);
    }

    /// <summary>The key new tokens are signed with (its id set); for tests that forge tokens as this host would.</summary>
    internal SymmetricSecurityKey SigningKey => current.Keys.Active;

    /// <summary>
    /// Whether <paramref name="token"/> says it is a session token: its header's <c>typ</c> is <see cref="TokenType"/>.
    /// Reads the unverified header only, no signature or claims, to choose how to authenticate a bearer token; only
    /// <see cref="ValidateAsync"/> says whether it is valid.
    /// </summary>
    public static bool IsSessionToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var end = token.IndexOf('.', StringComparison.Ordinal);
        Span<byte> header = stackalloc byte[MaxHeaderChars];
        if (end <= 0 || end > MaxHeaderChars
            || Base64Url.DecodeFromChars(token.AsSpan(0, end), header, out _, out var length) != OperationStatus.Done)
        {
            return false;
        }

        var reader = new Utf8JsonReader(header[..length]);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var types = 0;
            var isSession = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("typ"u8);
                reader.Read();
                if (isType)
                {
                    types++;
                    isSession = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(TokenType);
                }

                reader.Skip();
            }

            // One JSON object, one typ: a header parsers could read two ways is no header of ours.
            return isSession && types == 1 && reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Applies changed options (the <c>Tokens</c> section reloaded): new keys validate, the active key signs, removed
    /// keys no longer validate. Options with problems, or without any key where keys were configured, are refused
    /// and logged, and the current ones stay. Without configured keys this process keeps its ephemeral key.
    /// </summary>
    internal void Reload(SessionTokenOptions options)
    {
        if (options.Problems() is { Count: > 0 } problems)
        {
            RefuseReload(problems);
            return;
        }

        var previous = current;
        SigningKeyRing keys;
        if (options.HasConfiguredKeys)
        {
            keys = SigningKeyRing.From(options);
        }
        else if (previous.Keys.IsEphemeral)
        {
            keys = previous.Keys;
        }
        else
        {
            RefuseReload([$"No signing key is configured any more; '{SessionTokenOptions.SectionName}' must keep at least one."]);
            return;
        }

        current = Build(options, keys);
        if (!keys.SameAs(previous.Keys))
        {
            LogKeys(logger, keys.Active.KeyId, string.Join(", ", keys.KeyIds));
        }
    }

    /// <summary>Logs why reloaded options were not applied; the messages name settings, never key material.</summary>
    internal void RefuseReload(IEnumerable<string> problems) => LogReloadRefused(logger, string.Join(" ", problems));

    private Settings Build(SessionTokenOptions options, SigningKeyRing keys) => new(
        options,
        keys,
        new SigningCredentials(keys.Active, SecurityAlgorithms.HmacSha256),
        new TokenValidationParameters
        {
            // The key the token names, or none: never every key in turn.
            IssuerSigningKeyResolver = (_, _, keyId, _) => keys.Resolve(keyId),
            TryAllIssuerSigningKeys = false,

            // Only what we issue: refuses alg "none", asymmetric algorithms keyed with our secret, and HS384/HS512.
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidTypes = [TokenType],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuer = true,
            ValidIssuer = options.Issuer,
            ValidateAudience = true,
            ValidAudience = options.Audience,
            ValidateLifetime = true,

            // Our clock rather than the library's DateTime.UtcNow, so expiry is testable with a fake TimeProvider.
            LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(notBefore, expires, options.ClockSkew),
        });

    /// <summary>
    /// Issues a token for the live session <paramref name="sessionId"/>. Reading the session slides its idle deadline:
    /// a client that only ever refreshes its token keeps its session alive, as one that reads it would.
    /// </summary>
    /// <exception cref="SessionNotFoundException">The id is malformed, or the session is unknown or has ended.</exception>
    public async Task<SessionToken> IssueAsync(string sessionId, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (!SessionIds.IsWellFormed(sessionId))
        {
            throw new SessionNotFoundException();
        }

        var session = await grains.GetSessionGrain(sessionId).GetAsync() ?? throw new SessionNotFoundException();
        return Issue(session);
    }

    /// <summary>
    /// Issues a token for <paramref name="session"/>, expiring after the configured lifetime or with the session,
    /// whichever is first. It names the session by its id's hash: a token that leaks (a log, a proxy) never reveals an
    /// id that could be replayed as the session itself.
    /// </summary>
    public SessionToken Issue(SessionView session)
    {
        ArgumentNullException.ThrowIfNull(session);

        // JWT times are whole seconds; truncating both makes "exp" at or before the session's end, and the
        // ExpiresAt we answer exactly what the token says.
        var settings = current;
        var now = WholeSeconds(time.GetUtcNow());
        var lifetimeEnd = now + settings.Options.Lifetime;
        var expiresAt = WholeSeconds(session.ExpiresAt < lifetimeEnd ? session.ExpiresAt : lifetimeEnd);
        var claims = new Dictionary<string, object>
        {
            [SessionIdClaim] = session.SessionIdHash,

            // A string, not a JSON number: a 64-bit stamp would lose digits in JavaScript clients.
            [SecurityStampClaim] = session.SecurityStamp.ToString(CultureInfo.InvariantCulture),
        };
        if (session.UserId is not null)
        {
            claims[UserIdClaim] = session.UserId;
        }

        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = settings.Options.Issuer,
            Audience = settings.Options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Claims = claims,
            SigningCredentials = settings.Credentials,
        });
        return new SessionToken(token, expiresAt);
    }

    /// <summary>
    /// Checks type, signature (HS256, by the key its <c>kid</c> names), issuer, audience, expiry, and a lifetime no
    /// longer than configured, then that the session is still alive with the stamp and user the token carries (<see cref="ISessionGrain.PeekAsync"/>, which does not slide the session).
    /// Refusals are logged at Debug with their reason and the session id hash; never the token or the id.
    /// </summary>
    /// <remarks>Failures to reach the cluster are thrown, not answered as a refusal: an outage is not a forgery.</remarks>
    public async Task<SessionTokenValidation> ValidateAsync(string? token, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (string.IsNullOrEmpty(token))
        {
            return Refuse(SessionTokenFailure.Malformed, sessionIdHash: null, exception: null);
        }

        var settings = current;
        var result = await handler.ValidateTokenAsync(token, settings.Validation);
        if (!result.IsValid)
        {
            return Refuse(Classify(result.Exception), sessionIdHash: null, result.Exception);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!IsIssuableLifetime(jwt, settings.Options))
        {
            return Refuse(SessionTokenFailure.LifetimeTooLong, sessionIdHash: null, exception: null);
        }

        if (!jwt.TryGetPayloadValue<string>(SessionIdClaim, out var sessionIdHash) || !SessionIds.IsWellFormedHash(sessionIdHash)
            || !jwt.TryGetPayloadValue<string>(SecurityStampClaim, out var stampText)
            || !long.TryParse(stampText, NumberStyles.None, CultureInfo.InvariantCulture, out var stamp))
        {
            return Refuse(SessionTokenFailure.Malformed, sessionIdHash: null, exception: null);
        }

        var userId = jwt.TryGetPayloadValue<string>(UserIdClaim, out var sub) ? sub : null;
        var session = await grains.GetGrain<ISessionGrain>(sessionIdHash).PeekAsync();
        if (session is null)
        {
            return Refuse(SessionTokenFailure.SessionEnded, sessionIdHash, exception: null);
        }

        if (session.SecurityStamp != stamp || !string.Equals(session.UserId, userId, StringComparison.Ordinal))
        {
            return Refuse(SessionTokenFailure.Revoked, sessionIdHash, exception: null);
        }

        return SessionTokenValidation.Valid(new ValidatedSessionToken(sessionIdHash, userId, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)));
    }

    private SessionTokenValidation Refuse(SessionTokenFailure failure, string? sessionIdHash, Exception? exception)
    {
        // The exception's type says enough; its message may quote parts of the token.
        LogRefused(logger, failure, sessionIdHash ?? "-", exception?.GetType().Name ?? "-");
        return SessionTokenValidation.Refused(failure);
    }

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, TimeSpan clockSkew)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } end && now <= end + clockSkew
            && (notBefore is not { } start || start - clockSkew <= now);
    }

    /// <summary>
    /// A signature proves only who holds the key: a token from a leaked key, or issued under an older and longer
    /// lifetime, may say it lives for days. None we issue now lives longer than the configured lifetime from its
    /// <c>iat</c>, nor from now.
    /// </summary>
    private bool IsIssuableLifetime(JsonWebToken jwt, SessionTokenOptions options)
    {
        var longest = options.Lifetime + options.ClockSkew;

        // IssuedAt is DateTime.MinValue without an iat: such a token is refused as living too long.
        return jwt.ValidTo - jwt.IssuedAt <= longest && jwt.ValidTo - time.GetUtcNow().UtcDateTime <= longest;
    }

    private static SessionTokenFailure Classify(Exception? exception) => exception switch
    {
        SecurityTokenInvalidAlgorithmException or SecurityTokenInvalidSignatureException => SessionTokenFailure.BadSignature,
        SecurityTokenInvalidTypeException => SessionTokenFailure.WrongType,
        SecurityTokenInvalidIssuerException => SessionTokenFailure.WrongIssuer,
        SecurityTokenInvalidAudienceException => SessionTokenFailure.WrongAudience,
        SecurityTokenInvalidLifetimeException or SecurityTokenNoExpirationException => SessionTokenFailure.Expired,
        SecurityTokenMalformedException => SessionTokenFailure.Malformed,
        _ => SessionTokenFailure.Invalid,
    };

    private static DateTimeOffset WholeSeconds(DateTimeOffset value) => DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "No Tokens:SigningKey(s) configured: session tokens are signed with an ephemeral key made at start-up; they will NOT " +
        "validate after a restart or on any other host. Configure a shared base64 key of at least 32 bytes.")]
    private static partial void LogEphemeralKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session tokens are signed with key {ActiveKeyId} and validated with keys {KeyIds}.")]
    private static partial void LogKeys(ILogger logger, string activeKeyId, string keyIds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Changed Tokens settings refused, the previous ones stay in force: {Problems}")]
    private static partial void LogReloadRefused(ILogger logger, string problems);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session token refused: {Failure} (session {SessionIdHash}, {ExceptionType}).")]
    private static partial void LogRefused(ILogger logger, SessionTokenFailure failure, string sessionIdHash, string exceptionType);

    /// <summary>What one token is issued or validated with: the options and keys in force when it started.</summary>
    private sealed record Settings(SessionTokenOptions Options, SigningKeyRing Keys, SigningCredentials Credentials, TokenValidationParameters Validation);
}
