using OrleansSessions.Common.Events;

namespace OrleansSessions.Sessions;

public enum SessionEventKind
{
    Created,
    Rotated,
    UserBound,
    Expired,
    Invalidated,
    LoggedOutEverywhere,
}

/// <summary>
/// A session lifecycle event on the <c>sessions</c> stream namespace (stream key: the session id hash). Consumers
/// de-duplicate by <see cref="EventId"/>: delivery is at least once.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.SessionEvent.v1")]
[DomainEvent("sessions.SessionEvent", 1)]
public sealed record SessionEvent(
    [property: Id(0)] Guid EventId,
    [property: Id(1)] SessionEventKind Kind,
    [property: Id(2)] string SessionIdHash,
    [property: Id(3)] string? UserId,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string? CorrelationId,
    [property: Id(6)] string? NewSessionIdHash) : IDomainEvent
{
    public const string StreamNamespace = "sessions";
}
