using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Orders;

[GenerateSerializer]
[Immutable]
[Alias("orders.UserOrderHistoryState.v1")]
public sealed record UserOrderHistoryState
{
    [Id(0)]
    public ImmutableDictionary<string, OrderSummary> Orders { get; init; } = ImmutableDictionary<string, OrderSummary>.Empty;
}

/// <summary>
/// A user's order history, built only from order events. An event older than what an order's entry has seen (by the
/// order's sequence number) is a duplicate and changes nothing.
/// </summary>
public sealed class UserOrderHistoryGrain(
    [PersistentState("orders.user-history", StorageNames.State)] IPersistentState<UserOrderHistoryState> history)
    : ReleasedWhenEmptyGrain(history), IUserOrderHistoryGrain
{
    public Task<ImmutableArray<OrderSummary>> ListAsync()
        => Task.FromResult(history.State.Orders.Values.OrderByDescending(o => o.PlacedAt).ToImmutableArray());

    public Task ApplyAsync(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var current = history.State.Orders.GetValueOrDefault(envelope.AggregateId);
        if (current is not null && current.Sequence >= envelope.Sequence)
        {
            return Task.CompletedTask;
        }

        var entry = current ?? new OrderSummary(envelope.AggregateId, OrderStatus.Pending, 0, null, null, envelope.At, envelope.At, 0);
        entry = envelope.Payload switch
        {
            OrderPlaced => entry with { Status = OrderStatus.Pending, PlacedAt = envelope.At },
            OrderConfirmed confirmed => entry with { Status = OrderStatus.Confirmed, Total = confirmed.Total, Currency = confirmed.Currency },
            OrderCancelled cancelled => entry with { Status = OrderStatus.Cancelled, Reason = cancelled.Reason },
            OrderCompensationFailed failed => entry with { Status = OrderStatus.CompensationFailed, Reason = failed.Reason },
            _ => entry,
        };
        entry = entry with { UpdatedAt = envelope.At, Sequence = envelope.Sequence };
        return this.CommitAsync(history, history.State with { Orders = history.State.Orders.SetItem(entry.OrderId, entry) });
    }
}

/// <summary>The orders an operator must look at.</summary>
public sealed class SagaIndexGrain(
    [PersistentState("orders.saga-index", StorageNames.State)] IPersistentState<SagaIndexState> index)
    : Grain, ISagaIndexGrain
{
    public Task SetAsync(string orderId, bool failed)
    {
        var next = failed ? index.State.Failed.Add(orderId) : index.State.Failed.Remove(orderId);
        return next == index.State.Failed ? Task.CompletedTask : this.CommitAsync(index, index.State with { Failed = next });
    }

    public Task<ImmutableArray<string>> ListFailedAsync() => Task.FromResult(index.State.Failed.Order(StringComparer.Ordinal).ToImmutableArray());
}

[GenerateSerializer]
[Immutable]
[Alias("orders.SagaIndexState.v1")]
public sealed record SagaIndexState
{
    [Id(0)]
    public ImmutableHashSet<string> Failed { get; init; } = ImmutableHashSet<string>.Empty;
}

/// <summary>Order events build each user's order history.</summary>
public sealed class OrderHistoryReaction : IEventReaction
{
    public string Name => "orders.user-history";

    public string Context => "orders";

    public bool Handles(EventEnvelope envelope) => envelope?.Payload is OrderPlaced or OrderConfirmed or OrderCancelled or OrderCompensationFailed;

    public Task HandleAsync(EventEnvelope envelope, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(grains);
        var userId = envelope.Payload switch
        {
            OrderPlaced p => p.UserId,
            OrderConfirmed c => c.UserId,
            OrderCancelled x => x.UserId,
            OrderCompensationFailed f => f.UserId,
            _ => throw new InvalidOperationException($"Unexpected {envelope.Type}."),
        };
        return grains.GetGrain<IUserOrderHistoryGrain>(userId).ApplyAsync(envelope);
    }
}

/// <summary>Carts react to a confirmed order: what was ordered leaves the user's cart (what was added since stays).</summary>
public sealed class OrderedCartReaction : IEventReaction
{
    public string Name => "carts.ordered";

    public string Context => "orders";

    public bool Handles(EventEnvelope envelope) => envelope?.Payload is OrderConfirmed;

    public Task HandleAsync(EventEnvelope envelope, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(grains);
        var confirmed = (OrderConfirmed)envelope.Payload;
        return grains.GetGrain<ICartGrain>(CartKeys.User(confirmed.UserId))
            .RemoveOrderedAsync([.. confirmed.Lines.Select(l => new CartLine(l.Sku, l.Quantity))], envelope.EventId);
    }
}

/// <summary>One partition of the Orders context's events, for the contexts that react to them.</summary>
[ImplicitStreamSubscription("orders")]
public sealed class OrderEventsConsumerGrain(IEnumerable<IEventReaction> reactions, IDeadLetterStore deadLetters, ILogger<OrderEventsConsumerGrain> logger)
    : EventConsumerGrain(reactions, deadLetters, logger)
{
    protected override string Context => "orders";
}
