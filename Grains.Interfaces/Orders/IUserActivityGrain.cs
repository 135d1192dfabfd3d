using System.Collections.Immutable;
using Orleans.Concurrency;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Orders;

/// <summary>One line of a user's activity feed: what happened, to which aggregate, when.</summary>
[GenerateSerializer]
[Immutable]
[Alias("orders.ActivityEntry")]
public sealed record ActivityEntry(
    [property: Id(0)] Guid EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] string AggregateId,
    [property: Id(3)] string What,
    [property: Id(4)] DateTimeOffset At);

/// <summary>
/// A user's recent activity (sessions and orders), built only from events: eventually consistent, duplicates dropped by
/// event id, the most recent <see cref="MaxEntries"/> kept.
/// </summary>
[Alias("orders.IUserActivityGrain")]
public interface IUserActivityGrain : IGrainWithStringKey
{
    public const int MaxEntries = 50;

    [ReadOnly]
    [Alias("list")]
    Task<ImmutableArray<ActivityEntry>> ListAsync();

    [Alias("record")]
    Task RecordAsync(EventEnvelope envelope, string what);
}
