using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace OrleansSessions.Common.Events;

/// <summary>
/// Where grains publish their outboxes: the context's event streams (<see cref="EventStreams"/>). One seam, so that a
/// test can make a publish fail the way a stream queue outage would.
/// </summary>
public interface IEventPublisher
{
    Task PublishAsync(EventEnvelope envelope);
}

/// <summary>Publishes on the silo's <see cref="StreamNames.Provider"/> stream provider.</summary>
/// <remarks>
/// Orleans keeps the handle of every stream a grain asks for in a directory of that activation, with its producer (about
/// 0.8 KiB, as long as the activation lives: a third of what an idle session costs). The streams are few and fixed
/// (<see cref="EventStreams.Partitions"/> per context), so the publisher keeps one handle per stream for every grain; a
/// handle whose first asker deactivated makes itself a new producer on its next publish.
/// </remarks>
public sealed class StreamEventPublisher(IServiceProvider services) : IEventPublisher
{
    private readonly ConcurrentDictionary<StreamId, IAsyncStream<EventEnvelope>> streams = new();
    private IStreamProvider? provider;

    public Task PublishAsync(EventEnvelope envelope)
    {
        provider ??= services.GetRequiredKeyedService<IStreamProvider>(StreamNames.Provider);
        var stream = streams.GetOrAdd(
            StreamId.Create(envelope.Context, EventStreams.KeyFor(envelope.AggregateId)),
            static (id, provider) => provider.GetStream<EventEnvelope>(id),
            provider);
        return stream.OnNextAsync(envelope);
    }
}

public static partial class EventOutboxPublishing
{
    /// <summary>
    /// Publishes the outbox's pending events in order and returns what is left: nothing when all went out, the rest from
    /// the first that failed otherwise (logged for <paramref name="aggregateId"/>). Never throws: what is left stays
    /// stored with the aggregate for the next try (its next change, activation or reminder).
    /// </summary>
    public static async Task<EventOutbox> PublishPendingAsync(this IEventPublisher publisher, EventOutbox outbox, string aggregateId, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(outbox);
        var published = 0;
        try
        {
            foreach (var envelope in outbox.Pending)
            {
                await publisher.PublishAsync(envelope);
                published++;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotPublished(logger, aggregateId, outbox.Pending.Length - published, LogText.Escape(e.Message));
        }

        return published == 0 ? outbox : outbox.Published(published);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{AggregateId}: {Count} stored event(s) not published yet, will retry: {Reason}")]
    private static partial void LogNotPublished(ILogger logger, string aggregateId, int count, string reason);
}
