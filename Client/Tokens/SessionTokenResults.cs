using System.Diagnostics.CodeAnalysis;

namespace OrleansSessions.Client.Tokens;

/// <summary>A signed session token and the moment it stops being accepted (the token's own <c>exp</c>).</summary>
public sealed record SessionToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// What a valid token proves: its session (named by its id's hash, as every other context names it) is alive and
/// unchanged, it belongs to this user, until then.
/// </summary>
public sealed record ValidatedSessionToken(string SessionIdHash, string? UserId, DateTimeOffset ExpiresAt);

/// <summary>
/// Why a token was refused. For logs and diagnostics only: callers answer every failure the same way, so that a
/// forger learns nothing about which check caught them.
/// </summary>
public enum SessionTokenFailure
{
    None,

    /// <summary>Not a JWT, or its session claims are missing or of the wrong shape.</summary>
    Malformed,

    /// <summary>
    /// Unsigned (<c>alg: none</c>), signed with another key or algorithm, naming no key of the ring (<c>kid</c>), or
    /// changed after signing.
    /// </summary>
    BadSignature,

    /// <summary>Its <c>typ</c> header is not <see cref="SessionTokens.TokenType"/>: another kind of JWT.</summary>
    WrongType,

    WrongIssuer,

    WrongAudience,

    /// <summary>
    /// Correctly signed, but its <c>exp</c> lies further from its <c>iat</c>, or from now, than the configured lifetime
    /// (plus clock skew) allows, or it has no <c>iat</c>: a token this estate does not issue.
    /// </summary>
    LifetimeTooLong,

    /// <summary>Past its expiry (beyond the clock skew), not yet valid, or without an expiry at all.</summary>
    Expired,

    /// <summary>The session is unknown, expired, rotated to another id or invalidated.</summary>
    SessionEnded,

    /// <summary>The session lives on but its security stamp or user changed since the token was issued.</summary>
    Revoked,

    /// <summary>Anything else the JWT library refused.</summary>
    Invalid,
}

/// <summary>The outcome of <see cref="SessionTokens.ValidateAsync"/>: the validated token, or why there is none.</summary>
public sealed record SessionTokenValidation(ValidatedSessionToken? Token, SessionTokenFailure Failure)
{
    [MemberNotNullWhen(true, nameof(Token))]
    public bool IsValid => Token is not null;

    internal static SessionTokenValidation Valid(ValidatedSessionToken token) => new(token, SessionTokenFailure.None);

    internal static SessionTokenValidation Refused(SessionTokenFailure failure) => new(null, failure);
}
