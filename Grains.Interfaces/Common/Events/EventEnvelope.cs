using System.Collections.Immutable;
using System.Reflection;

namespace OrleansSessions.Common.Events;

/// <summary>A fact one bounded context publishes for the others: the payload of an <see cref="EventEnvelope"/>.</summary>
public interface IDomainEvent;

/// <summary>
/// Names a payload type on the wire: <c>{context}.{Name}</c> and its schema version. The context is the stream namespace
/// its events travel on. A new version is a new type (with its own <c>[Alias]</c>); old versions keep deserializing.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DomainEventAttribute(string type, int version) : Attribute
{
    public string Type { get; } = type;

    public int Version { get; } = version;

    public string Context => Type[..Type.IndexOf('.', StringComparison.Ordinal)];
}

/// <summary>
/// One domain event as every context publishes it: event id (consumers drop duplicates by it), type and schema version,
/// the aggregate it is about with its per-aggregate sequence number (consumers apply an aggregate's events in order),
/// time, correlation id, payload.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("common.EventEnvelope.v1")]
public sealed record EventEnvelope(
    [property: Id(0)] Guid EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] int SchemaVersion,
    [property: Id(3)] string AggregateId,
    [property: Id(4)] long Sequence,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] string? CorrelationId,
    [property: Id(7)] IDomainEvent Payload)
{
    /// <summary>The context (stream namespace) the event belongs to.</summary>
    public string Context => Type[..Type.IndexOf('.', StringComparison.Ordinal)];

    public static DomainEventAttribute Describe(Type payloadType)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        return payloadType.GetCustomAttribute<DomainEventAttribute>()
            ?? throw new InvalidOperationException($"{payloadType.Name} has no [DomainEvent] attribute.");
    }
}

/// <summary>
/// The events an aggregate has raised but not yet published, kept in the aggregate's own state and stored by the same
/// write as the change that raised them (a transactional outbox), plus its sequence counter.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("common.EventOutbox.v1")]
public sealed record EventOutbox
{
    public static EventOutbox Empty { get; } = new();

    /// <summary>The sequence number of the aggregate's last raised event (0 before the first).</summary>
    [Id(0)]
    public long LastSequence { get; init; }

    /// <summary>Raised, stored, not yet known to be published; in order.</summary>
    [Id(1)]
    public ImmutableArray<EventEnvelope> Pending { get; init; } = [];

    /// <summary>The outbox with <paramref name="payload"/> appended as the aggregate's next event.</summary>
    /// <param name="eventId">The event's id; a new one unless the payload carries its own.</param>
    public EventOutbox Raise(string aggregateId, IDomainEvent payload, DateTimeOffset at, string? correlationId, Guid? eventId = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var kind = EventEnvelope.Describe(payload.GetType());
        var envelope = new EventEnvelope(eventId ?? Guid.NewGuid(), kind.Type, kind.Version, aggregateId, LastSequence + 1, at, correlationId, payload);
        return this with { LastSequence = envelope.Sequence, Pending = Pending.Add(envelope) };
    }

    /// <summary>The outbox once its first <paramref name="count"/> pending events are published.</summary>
    /// <remarks>All published: the shared empty array, not a new one kept by every idle aggregate.</remarks>
    public EventOutbox Published(int count) => this with { Pending = count >= Pending.Length ? [] : Pending.RemoveRange(0, count) };
}
