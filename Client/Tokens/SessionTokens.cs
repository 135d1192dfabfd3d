using System.Globalization;
using System.Security.Cryptography;
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
    public const string SessionIdClaim = "sid";
    public const string SecurityStampClaim = "sst";
    public const string UserIdClaim = "sub";

    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SessionTokenOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SigningCredentials credentials;
    private readonly TokenValidationParameters validation;

    /// <exception cref="ArgumentException">The options cannot work (see <see cref="SessionTokenOptions"/>).</exception>
    public SessionTokens(SessionTokenOptions options, TimeProvider? timeProvider = null, ILogger<SessionTokens>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        this.options = options;
        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger<SessionTokens>.Instance;

        byte[] key;
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            key = RandomNumberGenerator.GetBytes(SessionTokenOptions.MinKeyBytes);
            LogEphemeralKey(this.logger);
        }
        else
        {
            key = SessionTokenOptions.DecodeKey(options.SigningKey)!;
        }

        SigningKey = new SymmetricSecurityKey(key);
        credentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256);
        validation = new TokenValidationParameters
        {
            IssuerSigningKey = SigningKey,

            // Only what we issue: refuses alg "none", asymmetric algorithms keyed with our secret, and HS384/HS512.
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuer = true,
            ValidIssuer = options.Issuer,
            ValidateAudience = true,
            ValidAudience = options.Audience,
            ValidateLifetime = true,

            // Our clock rather than the library's DateTime.UtcNow, so expiry is testable with a fake TimeProvider.
            LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(notBefore, expires),
        };
    }

    /// <summary>The key tokens are signed with; for tests that forge tokens as this host would.</summary>
    internal SymmetricSecurityKey SigningKey { get; }

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
        var now = WholeSeconds(time.GetUtcNow());
        var lifetimeEnd = now + options.Lifetime;
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
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Claims = claims,
            SigningCredentials = credentials,
        });
        return new SessionToken(token, expiresAt);
    }

    /// <summary>
    /// Checks signature (HS256 only), issuer, audience and expiry, then that the session is still alive with the stamp
    /// and user the token carries (<see cref="ISessionGrain.PeekAsync"/>, which does not slide the session).
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

        var result = await handler.ValidateTokenAsync(token, validation);
        if (!result.IsValid)
        {
            return Refuse(Classify(result.Exception), sessionIdHash: null, result.Exception);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
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

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } end && now <= end + options.ClockSkew
            && (notBefore is not { } start || start - options.ClockSkew <= now);
    }

    private static SessionTokenFailure Classify(Exception? exception) => exception switch
    {
        SecurityTokenInvalidAlgorithmException or SecurityTokenInvalidSignatureException => SessionTokenFailure.BadSignature,
        SecurityTokenInvalidIssuerException => SessionTokenFailure.WrongIssuer,
        SecurityTokenInvalidAudienceException => SessionTokenFailure.WrongAudience,
        SecurityTokenInvalidLifetimeException or SecurityTokenNoExpirationException => SessionTokenFailure.Expired,
        SecurityTokenMalformedException => SessionTokenFailure.Malformed,
        _ => SessionTokenFailure.Invalid,
    };

    private static DateTimeOffset WholeSeconds(DateTimeOffset value) => DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "No Tokens:SigningKey configured: session tokens are signed with an ephemeral key made at start-up; they will NOT " +
        "validate after a restart or on any other host. Configure a shared base64 key of at least 32 bytes.")]
    private static partial void LogEphemeralKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session token refused: {Failure} (session {SessionIdHash}, {ExceptionType}).")]
    private static partial void LogRefused(ILogger logger, SessionTokenFailure failure, string sessionIdHash, string exceptionType);
}
