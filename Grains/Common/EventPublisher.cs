using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace OrleansSessions.Common;

/// <summary>
/// Where grains publish their outboxes: the domain event streams. One seam, so that a test can make a publish fail
/// (before or after it is delivered) the way a stream queue outage would.
/// </summary>
public interface IEventPublisher
{
    Task PublishAsync<T>(StreamId stream, T item);
}

/// <summary>Publishes on the silo's <see cref="StreamNames.Provider"/> stream provider.</summary>
public sealed class StreamEventPublisher(IServiceProvider services) : IEventPublisher
{
    private IStreamProvider? provider;

    public Task PublishAsync<T>(StreamId stream, T item)
    {
        provider ??= services.GetRequiredKeyedService<IStreamProvider>(StreamNames.Provider);
        return provider.GetStream<T>(stream).OnNextAsync(item);
    }
}
