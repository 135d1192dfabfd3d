using System.Collections.Concurrent;
using System.Collections.Immutable;
using Orleans.Streams;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>Helpers shared by the session tests: creating sessions, sweeping, listening to lifecycle events.</summary>
public static class SessionTestKit
{
    public static SessionCreate Request(string? userId = null, TimeSpan? idle = null, TimeSpan? lifetime = null, params (string Key, string Json)[] attributes)
        => new(userId, attributes.ToImmutableDictionary(a => a.Key, a => a.Json), idle, lifetime, "test-client");

    public static async Task<(string Id, ISessionGrain Grain, SessionView View)> CreateAsync(IGrainFactory grains, SessionCreate request)
    {
        var id = SessionIds.New();
        var grain = grains.GetSessionGrain(id);
        return (id, grain, await grain.CreateAsync(request));
    }

    /// <summary>What the sweeper reminders do every minute, now.</summary>
    public static async Task SweepAsync(IGrainFactory grains)
    {
        for (var p = 0; p < Expiry.Partitions; p++)
        {
            await grains.GetGrain<IExpirySweeperGrain>(p).SweepDueAsync();
        }
    }

    public static string Hash(string id) => SessionIds.Hash(id);

    /// <summary>Collects the lifecycle events of one session id (from its context's partition stream).</summary>
    public static async Task<EventLog> ListenAsync(IClusterClient client, string sessionId)
    {
        var log = new EventLog();
        var hash = SessionIds.Hash(sessionId);
        var stream = client.GetStreamProvider(StreamNames.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(SessionEvent.StreamNamespace, EventStreams.KeyFor(hash)));
        log.Subscription = await stream.SubscribeAsync((e, _) =>
        {
            if (e.AggregateId == hash && e.Payload is SessionEvent session)
            {
                log.Events.Enqueue(session);
                log.Envelopes.Enqueue(e);
            }

            return Task.CompletedTask;
        });
        return log;
    }

    public sealed class EventLog : IAsyncDisposable
    {
        internal StreamSubscriptionHandle<EventEnvelope>? Subscription { get; set; }

        /// <summary>Unsubscribes: the partition keeps carrying other tests' events, which must not reach a client being torn down.</summary>
        public async ValueTask DisposeAsync()
        {
            if (Subscription is not null)
            {
                await Subscription.UnsubscribeAsync();
            }
        }

        public ConcurrentQueue<SessionEvent> Events { get; } = new();

        public ConcurrentQueue<EventEnvelope> Envelopes { get; } = new();

        public Task<SessionEvent> WaitForAsync(SessionEventKind kind, string sessionId)
            => Poll.ForAsync(
                () => Task.FromResult(Events.FirstOrDefault(e => e.Kind == kind)),
                TimeSpan.FromSeconds(10),
                $"a {kind} event for session {Hash(sessionId)}");
    }
}
