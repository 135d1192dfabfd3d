using OrleansSessions.Common.Events;

namespace OrleansSessions.Tests.Infrastructure.Faults;

/// <summary>The product's event publisher, failing the publishes its <see cref="FaultPlan"/> names (as a stream queue outage would).</summary>
public sealed class FaultyEventPublisher(IEventPublisher inner, FaultPlan plan) : IEventPublisher
{
    public Task PublishAsync(EventEnvelope envelope)
        => plan.TakePublishFault(envelope.Payload)
            ? Task.FromException(new TimeoutException("Publish failed: injected by the fault plan."))
            : inner.PublishAsync(envelope);
}
