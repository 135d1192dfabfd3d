using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Orders;

/// <summary>
/// Where an order stands. Values are stored: never renumber them. Pending → Reserved → Authorized → Confirmed, or
/// Cancelled (with a reason) once every compensation is done, or CompensationFailed when one kept failing (an operator
/// retries it).
/// </summary>
public enum OrderStatus
{
    Pending = 0,
    Reserved = 1,
    Authorized = 2,
    Confirmed = 3,
    Cancelled = 4,
    CompensationFailed = 5,
}

[GenerateSerializer]
[Immutable]
[Alias("orders.OrderLine")]
public sealed record OrderLine(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Quantity,
    [property: Id(2)] long UnitPrice,
    [property: Id(3)] string? Currency);

/// <summary>One step the saga took: which, how it went, which attempt, when.</summary>
[GenerateSerializer]
[Immutable]
[Alias("orders.SagaStep")]
public sealed record SagaStep(
    [property: Id(0)] string Step,
    [property: Id(1)] string Outcome,
    [property: Id(2)] int Attempt,
    [property: Id(3)] DateTimeOffset At);

/// <summary>What a user asks for: the cart's lines at that moment, paid with <see cref="PaymentMethod"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("orders.PlaceOrder")]
public sealed record PlaceOrder(
    [property: Id(0)] string UserId,
    [property: Id(1)] string PaymentMethod,
    [property: Id(2)] ImmutableArray<OrderLine> Lines,
    [property: Id(3)] string RequestHash);

[GenerateSerializer]
[Immutable]
[Alias("orders.OrderView")]
public sealed record OrderView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string UserId,
    [property: Id(2)] OrderStatus Status,
    [property: Id(3)] string? Reason,
    [property: Id(4)] ImmutableArray<OrderLine> Lines,
    [property: Id(5)] long Total,
    [property: Id(6)] string? Currency,
    [property: Id(7)] string PaymentMethod,
    [property: Id(8)] DateTimeOffset PlacedAt,
    [property: Id(9)] DateTimeOffset UpdatedAt,
    [property: Id(10)] ImmutableArray<SagaStep> History);

/// <summary>Order ids: one per user and Idempotency-Key, so the same key always names the same order.</summary>
public static class OrderIds
{
    public static string For(string userId, string idempotencyKey)
        => "o" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}\n{idempotencyKey}")).AsSpan(0, 16)).ToLowerInvariant();
}

[GenerateSerializer]
[Immutable]
[Alias("orders.OrderPlaced.v1")]
[DomainEvent("orders.OrderPlaced", 1)]
public sealed record OrderPlaced(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string UserId,
    [property: Id(2)] ImmutableArray<OrderLine> Lines) : IDomainEvent;

[GenerateSerializer]
[Immutable]
[Alias("orders.OrderConfirmed.v1")]
[DomainEvent("orders.OrderConfirmed", 1)]
public sealed record OrderConfirmed(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string UserId,
    [property: Id(2)] ImmutableArray<OrderLine> Lines,
    [property: Id(3)] long Total,
    [property: Id(4)] string Currency) : IDomainEvent;

[GenerateSerializer]
[Immutable]
[Alias("orders.OrderCancelled.v1")]
[DomainEvent("orders.OrderCancelled", 1)]
public sealed record OrderCancelled(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string Reason) : IDomainEvent;

[GenerateSerializer]
[Immutable]
[Alias("orders.OrderCompensationFailed.v1")]
[DomainEvent("orders.OrderCompensationFailed", 1)]
public sealed record OrderCompensationFailed(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string Reason) : IDomainEvent;

/// <summary>An order as a user's history shows it: built from order events only (eventually consistent).</summary>
[GenerateSerializer]
[Immutable]
[Alias("orders.OrderSummary")]
public sealed record OrderSummary(
    [property: Id(0)] string OrderId,
    [property: Id(1)] OrderStatus Status,
    [property: Id(2)] long Total,
    [property: Id(3)] string? Currency,
    [property: Id(4)] string? Reason,
    [property: Id(5)] DateTimeOffset PlacedAt,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] long Sequence);
