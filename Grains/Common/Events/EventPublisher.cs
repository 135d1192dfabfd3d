using Microsoft.Extensions.DependencyInjection;
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
public sealed class StreamEventPublisher(IServiceProvider services) : IEventPublisher
{
    private IStreamProvider? provider;

    public Task PublishAsync(EventEnvelope envelope)
    {
        provider ??= services.GetRequiredKeyedService<IStreamProvider>(StreamNames.Provider);
        return provider.GetStream<EventEnvelope>(StreamId.Create(envelope.Context, EventStreams.KeyFor(envelope.AggregateId))).OnNextAsync(envelope);
    }
}

public static class EventOutboxPublishing
{
    /// <summary>
    /// Publishes the outbox's pending events in order and returns what is left: nothing when all went out, the rest from
    /// the first that failed otherwise (with the failure). Never throws: the events stay stored for the next try.
    /// </summary>
    public static async Task<(EventOutbox Remaining, Exception? Failure)> PublishPendingAsync(this IEventPublisher publisher, EventOutbox outbox)
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

            return (outbox.Published(published), null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (outbox.Published(published), e);
        }
    }
}
