using OrleansSessions.Common.Events;

namespace OrleansSessions.Tests.Infrastructure.Faults;

/// <summary>A consumer of order events that fails on the aggregates its plan names (a bug in a consumer, until it is fixed).</summary>
public sealed class PoisonReaction(FaultPlan plan) : IEventReaction
{
    public const string ConsumerName = "tests.poison";

    public string Name => ConsumerName;

    public string Context => "orders";

    public bool Handles(EventEnvelope envelope) => true;

    public Task HandleAsync(EventEnvelope envelope, IGrainFactory grains)
        => plan.Poisoned.ContainsKey(envelope.AggregateId)
            ? Task.FromException(new InvalidOperationException($"Poisoned: cannot handle {envelope.Type}."))
            : Task.CompletedTask;
}
