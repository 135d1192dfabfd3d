using System.Collections.Immutable;

namespace OrleansSessions.Common.Events;

/// <summary>An event a consumer kept failing on, set aside so the rest flow on; listable and replayable.</summary>
[GenerateSerializer]
[Immutable]
[Alias("common.DeadLetter.v1")]
public sealed record DeadLetter(
    [property: Id(0)] long Id,
    [property: Id(1)] string Consumer,
    [property: Id(2)] EventEnvelope Envelope,
    [property: Id(3)] string Error,
    [property: Id(4)] int Attempts,
    [property: Id(5)] DateTimeOffset At);

/// <summary>The operator's view of the dead letters of every consumer (one grain, key 0).</summary>
[Alias("common.IDeadLettersGrain")]
public interface IDeadLettersGrain : IGrainWithIntegerKey
{
    [Alias("list")]
    Task<ImmutableArray<DeadLetter>> ListAsync(int limit);

    /// <summary>Hands the event to its consumer again; on success the dead letter is removed. False when there is no such letter.</summary>
    [Alias("replay")]
    Task<bool> ReplayAsync(long id);
}

/// <summary>A consumer of one partition of a context's events (implicitly subscribed; the key is the stream key).</summary>
[Alias("common.IEventConsumerGrain")]
public interface IEventConsumerGrain : IGrainWithStringKey;
