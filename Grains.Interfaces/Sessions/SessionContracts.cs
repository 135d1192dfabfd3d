using System.Collections.Immutable;

namespace OrleansSessions.Sessions;

/// <summary>What a caller asks for when creating a session. Timeouts outside the configured bounds are refused (400).</summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.SessionCreate")]
public sealed record SessionCreate(
    [property: Id(0)] string? UserId,
    [property: Id(1)] ImmutableDictionary<string, string> Attributes,
    [property: Id(2)] TimeSpan? IdleTimeout,
    [property: Id(3)] TimeSpan? AbsoluteLifetime,
    [property: Id(4)] string? ClientInfo);

/// <summary>
/// A session as callers see it (without its id, which the cluster never holds: see <see cref="ISessionGrain"/>).
/// Attribute values are JSON texts. <see cref="Version"/> grows with every change of
/// attributes or user and is the ETag; <see cref="SecurityStamp"/> changes when tokens issued before must stop working.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.SessionView")]
public sealed record SessionView(
    [property: Id(0)] string SessionIdHash,
    [property: Id(1)] string? UserId,
    [property: Id(2)] ImmutableDictionary<string, string> Attributes,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset LastAccessAt,
    [property: Id(5)] DateTimeOffset IdleExpiresAt,
    [property: Id(6)] DateTimeOffset AbsoluteExpiresAt,
    [property: Id(7)] long Version,
    [property: Id(8)] string? ClientInfo,
    [property: Id(9)] long SecurityStamp)
{
    /// <summary>The earlier of the two deadlines: when the session ends unless it is read again.</summary>
    public DateTimeOffset ExpiresAt => IdleExpiresAt < AbsoluteExpiresAt ? IdleExpiresAt : AbsoluteExpiresAt;
}

/// <summary>A session moved to a new id by rotation or login: the new id, which only the caller gets to see.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.RotatedSession")]
public sealed record RotatedSession([property: Id(0)] string SessionId, [property: Id(1)] SessionView Session);

/// <summary>One session in a user's list: the id only as its hash.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.UserSessionEntry")]
public sealed record UserSessionEntry(
    [property: Id(0)] string SessionIdHash,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] DateTimeOffset LastAccessAt,
    [property: Id(3)] string? ClientInfo);

/// <summary>Why a session ended, as carried by the lifecycle events.</summary>
public enum SessionEndReason
{
    Invalidated,
    Expired,
    LoggedOutEverywhere,
    Evicted,
    Rotated,
}
