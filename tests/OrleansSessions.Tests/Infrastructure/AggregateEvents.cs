using System.Collections.Concurrent;
using Orleans.Streams;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>One aggregate's events as the test's cluster client receives them from its context's partition stream.</summary>
public sealed class AggregateEvents : IAsyncDisposable
{
    private StreamSubscriptionHandle<EventEnvelope>? subscription;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<EventEnvelope> received = new();

    private AggregateEvents(string aggregateId) => AggregateId = aggregateId;

    public string AggregateId { get; }

    /// <summary>Subscribes before the aggregate changes, so that none of its events is missed.</summary>
    public static async Task<AggregateEvents> ListenAsync(IClusterClient client, string context, string aggregateId)
    {
        var events = new AggregateEvents(aggregateId);
        var stream = client.GetStreamProvider(StreamNames.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(context, EventStreams.KeyFor(aggregateId)));

        // The partition carries other aggregates' events too.
        events.subscription = await stream.SubscribeAsync((e, _) =>
        {
            if (e.AggregateId == aggregateId)
            {
                events.received.Enqueue(e);
            }

            return Task.CompletedTask;
        });
        return events;
    }

    /// <summary>Unsubscribes: the partition keeps carrying other tests' events, which must not reach a client being torn down.</summary>
    public async ValueTask DisposeAsync()
    {
        if (subscription is not null)
        {
            await subscription.UnsubscribeAsync();
        }
    }

    /// <summary>
    /// Waits for as many events as <paramref name="expected"/> and asserts they are exactly those payloads, in order,
    /// numbered 1, 2, 3…: a fact raised twice, or out of turn, fails it.
    /// </summary>
    public async Task<EventEnvelope[]> AssertSequenceAsync(params IDomainEvent[] expected)
    {
        var arrived = await Poll.ForAsync(
            () => Task.FromResult(received.Count >= expected.Length ? received.ToArray() : null),
            Deadline,
            $"{expected.Length} events of aggregate {AggregateId}");
        var seen = string.Join(", ", arrived.Select(e => $"#{e.Sequence} {e.Payload}"));
        Assert.True(arrived.Length == expected.Length, $"aggregate {AggregateId}: expected {expected.Length} events, got {seen}");
        for (var i = 0; i < expected.Length; i++)
        {
            var kind = EventEnvelope.Describe(expected[i].GetType());
            Assert.True(
                arrived[i].Sequence == i + 1 && arrived[i].Payload.Equals(expected[i]) && arrived[i].Type == kind.Type && arrived[i].SchemaVersion == kind.Version,
                $"aggregate {AggregateId}: event {i + 1} should be #{i + 1} {expected[i]}; got {seen}");
        }

        return arrived;
    }
}
