using OrleansSessions.Common.Events;

namespace OrleansSessions.Inventory;

/// <summary>Units held for an order until <see cref="LeaseUntil"/>: a new reservation or a later deadline for a live one (the latest per order counts).</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockReserved.v1")]
[DomainEvent("inventory.StockReserved", 1)]
public sealed record StockReserved(
    [property: Id(0)] string Sku,
    [property: Id(1)] string OrderId,
    [property: Id(2)] int Quantity,
    [property: Id(3)] DateTimeOffset LeaseUntil) : IDomainEvent;

/// <summary>An order gave back the units its live lease held.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockReleased.v1")]
[DomainEvent("inventory.StockReleased", 1)]
public sealed record StockReleased(
    [property: Id(0)] string Sku,
    [property: Id(1)] string OrderId,
    [property: Id(2)] int Quantity) : IDomainEvent;

/// <summary>An order's reserved units were sold, at the price of its reservation; they left the stock on hand.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockCommitted.v1")]
[DomainEvent("inventory.StockCommitted", 1)]
public sealed record StockCommitted(
    [property: Id(0)] string Sku,
    [property: Id(1)] string OrderId,
    [property: Id(2)] int Quantity,
    [property: Id(3)] long UnitPrice,
    [property: Id(4)] string Currency) : IDomainEvent;

/// <summary>The stock on hand and the price of new reservations, as an operator set them.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockSet.v1")]
[DomainEvent("inventory.StockSet", 1)]
public sealed record StockSet(
    [property: Id(0)] string Sku,
    [property: Id(1)] int OnHand,
    [property: Id(2)] long UnitPrice,
    [property: Id(3)] string Currency) : IDomainEvent;

/// <summary>
/// An order's lease passed its deadline and the grain dropped it: its units are back in stock. (They stopped counting
/// at the deadline; this says when the grain noticed.)
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockLeaseExpired.v1")]
[DomainEvent("inventory.StockLeaseExpired", 1)]
public sealed record StockLeaseExpired(
    [property: Id(0)] string Sku,
    [property: Id(1)] string OrderId,
    [property: Id(2)] int Quantity) : IDomainEvent;
