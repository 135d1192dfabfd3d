using Orleans.Concurrency;
using OrleansSessions.Common;

namespace OrleansSessions.Inventory;

/// <summary>
/// The stock of one SKU (key: the SKU, <see cref="Identifiers"/> rules). Inventory context: strong consistency — one
/// activation serializes every change, and each change is stored before it is acknowledged, so stock is never
/// negative and never promised twice: available = on hand − live reservations ≥ 0 always.
/// A reservation is a lease: once its deadline passes it no longer counts (every call computes availability without
/// it), the next write drops it, and the expiry sweep drops it even if no call comes.
/// Reserve, release and commit are idempotent per order id, so a saga may repeat any step after a failure.
/// </summary>
[Alias("inventory.IInventoryGrain")]
public interface IInventoryGrain : IExpiringGrain
{
    /// <summary>The stock; <see langword="null"/> when the SKU was never stocked.</summary>
    [ReadOnly]
    [Alias("get")]
    Task<StockView?> GetAsync();

    /// <summary>
    /// Operator: sets units on hand (0..<see cref="InventoryRules.MaxOnHand"/>), the unit price for new reservations
    /// (integer minor units) and its ISO 4217 currency. Throws <see cref="StockBelowReservedException"/> when
    /// <paramref name="onHand"/> is below what live reservations hold.
    /// </summary>
    [Alias("set-stock")]
    Task<StockView> SetStockAsync(int onHand, long unitPrice, string currency);

    /// <summary>
    /// Holds <paramref name="quantity"/> units for the order until <paramref name="leaseUntil"/> (in the future, at most
    /// <see cref="InventoryRules.MaxLease"/> ahead). The same order id again answers the same reservation, its lease
    /// extended when the new deadline is later; a different quantity for it is refused (<see cref="DomainValidationException"/>).
    /// </summary>
    [Alias("reserve")]
    Task<ReserveResult> ReserveAsync(string orderId, int quantity, DateTimeOffset leaseUntil);

    /// <summary>Gives the order's units back. Idempotent: an order holding nothing (released, expired, unknown) changes nothing.</summary>
    [Alias("release")]
    Task ReleaseAsync(string orderId);

    /// <summary>
    /// Sells the order's reserved units (on hand and reserved both drop by the quantity). Idempotent: a committed
    /// order answers the same <see cref="Committed"/> again, for the last <see cref="InventoryRules.MaxRememberedCommits"/>
    /// sales of this SKU. An order without a live reservation answers <see cref="ReservationExpired"/>.
    /// </summary>
    [Alias("commit")]
    Task<CommitResult> CommitAsync(string orderId);
}
