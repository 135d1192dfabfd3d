namespace OrleansSessions.Inventory;

/// <summary>The answer to <see cref="IInventoryGrain.ReserveAsync"/>: <see cref="Reserved"/>, <see cref="OutOfStock"/> or <see cref="AlreadyCommitted"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.ReserveResult")]
public abstract record ReserveResult;

/// <summary>
/// The order holds <paramref name="Quantity"/> units until <paramref name="LeaseUntil"/>, at the unit price and
/// currency in force when it first reserved them (later price changes do not touch a held reservation).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.Reserved")]
public sealed record Reserved(
    [property: Id(0)] string OrderId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] DateTimeOffset LeaseUntil,
    [property: Id(3)] long UnitPrice,
    [property: Id(4)] string Currency) : ReserveResult;

/// <summary>Not enough units: nothing was reserved; <paramref name="Available"/> is what could have been (0 for a never-stocked SKU).</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.OutOfStock")]
public sealed record OutOfStock(
    [property: Id(0)] int Requested,
    [property: Id(1)] int Available) : ReserveResult;

/// <summary>The order's units were sold already (a reserve replayed after its commit): nothing more is reserved.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.AlreadyCommitted")]
public sealed record AlreadyCommitted([property: Id(0)] Committed Sale) : ReserveResult;

/// <summary>The answer to <see cref="IInventoryGrain.CommitAsync"/>: <see cref="Committed"/> or <see cref="ReservationExpired"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.CommitResult")]
public abstract record CommitResult;

/// <summary>The order's reservation became a sale of <paramref name="Quantity"/> units at the reserved price.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.Committed")]
public sealed record Committed(
    [property: Id(0)] string OrderId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] long UnitPrice,
    [property: Id(3)] string Currency,
    [property: Id(4)] DateTimeOffset CommittedAt) : CommitResult;

/// <summary>
/// Nothing was sold: the order holds no live reservation — its lease ran out (the units went back to stock), or it
/// was released or never made. The saga may reserve again or fail the order.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.ReservationExpired")]
public sealed record ReservationExpired([property: Id(0)] string OrderId) : CommitResult;
