using System.Collections.Immutable;
using Orleans.Concurrency;

namespace OrleansSessions.Orders;

/// <summary>
/// The saga of one order (key: order id), orchestrating Inventory and Payments: price and availability of every line
/// (in parallel) → reserve stock → authorize payment → capture → confirm (commit the stock). Its state machine is
/// stored after every step, with the step history; a failed step compensates in reverse order (void or refund, release).
/// A reminder resumes a saga whose silo died; every step it repeats is idempotent, so it finishes exactly once.
/// </summary>
[Alias("orders.IOrderSagaGrain")]
public interface IOrderSagaGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the order, or — the same request again (same user, payment method) — answers where it stands; another
    /// request under this order id throws <see cref="Common.IdempotencyKeyReusedException"/>. Answers once the order is stored as
    /// Pending; the saga runs on.
    /// </summary>
    [Alias("place")]
    Task<OrderView> PlaceAsync(PlaceOrder request);

    /// <summary>The order as stored; <see langword="null"/> when there is none.</summary>
    [ReadOnly]
    [AlwaysInterleave]
    [Alias("get")]
    Task<OrderView?> GetAsync();

    /// <summary>Operator: runs a saga stuck in CompensationFailed (or waiting for its next attempt) again now, with fresh attempts.</summary>
    [Alias("retry")]
    Task<OrderView?> RetryAsync();
}

/// <summary>The orders an operator must look at (key 0): sagas in CompensationFailed.</summary>
[Alias("orders.ISagaIndexGrain")]
public interface ISagaIndexGrain : IGrainWithIntegerKey
{
    [Alias("set")]
    Task SetAsync(string orderId, bool failed);

    [ReadOnly]
    [Alias("list")]
    Task<ImmutableArray<string>> ListFailedAsync();
}

/// <summary>A user's orders, built from order events only (eventually consistent; catches up after an outage).</summary>
[Alias("orders.IUserOrderHistoryGrain")]
public interface IUserOrderHistoryGrain : IGrainWithStringKey
{
    [ReadOnly]
    [Alias("list")]
    Task<ImmutableArray<OrderSummary>> ListAsync();

    [Alias("apply")]
    Task ApplyAsync(Common.Events.EventEnvelope envelope);
}
