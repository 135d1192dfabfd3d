using System.Collections.Immutable;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Inventory;

/// <summary>Units one order holds until <see cref="LeaseUntil"/>, at the price in force when it reserved them.</summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockLease")]
public sealed record StockLease(
    [property: Id(0)] int Quantity,
    [property: Id(1)] DateTimeOffset LeaseUntil,
    [property: Id(2)] long UnitPrice,
    [property: Id(3)] string Currency)
{
    /// <summary>A lease counts until its deadline, not at it.</summary>
    public bool IsLive(DateTimeOffset now) => now < LeaseUntil;
}

/// <summary>
/// The persisted stock of one SKU. Immutable: a change builds a new state, which replaces the old one only once it is
/// stored. Leases past their deadline may still be here until the next write; they never count as reserved.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockState.v1")]
public sealed record StockState
{
    [Id(0)]
    public int OnHand { get; init; }

    [Id(1)]
    public long UnitPrice { get; init; }

    /// <summary>Empty until the SKU is first stocked.</summary>
    [Id(2)]
    public string Currency { get; init; } = "";

    /// <summary>Reservations by order id.</summary>
    [Id(3)]
    public ImmutableDictionary<string, StockLease> Leases { get; init; } = ImmutableDictionary<string, StockLease>.Empty;

    /// <summary>The most recent sales, oldest first, at most <see cref="InventoryRules.MaxRememberedCommits"/>: what makes a repeated commit idempotent.</summary>
    [Id(4)]
    public ImmutableList<Committed> Commits { get; init; } = [];

    [Id(5)]
    public long Version { get; init; }

    /// <summary>Facts raised by the changes stored so far and not yet known to be published.</summary>
    [Id(6)]
    public EventOutbox Events { get; init; } = EventOutbox.Empty;

    /// <summary>Units held by live leases; never more than <see cref="OnHand"/>.</summary>
    public int ReservedAt(DateTimeOffset now) => Leases.Values.Where(l => l.IsLive(now)).Sum(l => l.Quantity);

    public bool HasExpiredLeases(DateTimeOffset now) => Leases.Values.Any(l => !l.IsLive(now));

    /// <summary>The state without leases past their deadline, with a <see cref="StockLeaseExpired"/> raised for each (earliest deadline first).</summary>
    public StockState WithoutExpiredLeases(string sku, DateTimeOffset now, string? correlationId)
    {
        var expired = Leases.Where(l => !l.Value.IsLive(now)).OrderBy(l => l.Value.LeaseUntil).ThenBy(l => l.Key, StringComparer.Ordinal).ToList();
        return expired.Count == 0 ? this : this with
        {
            Leases = Leases.RemoveRange(expired.Select(l => l.Key)),
            Events = expired.Aggregate(Events, (outbox, l) => outbox.Raise(sku, new StockLeaseExpired(sku, l.Key, l.Value.Quantity), now, correlationId)),
        };
    }

    /// <summary>The deadline of the lease that ends first, expired or not; null without leases.</summary>
    public DateTimeOffset? EarliestLeaseEnd => Leases.IsEmpty ? null : Leases.Values.Min(l => l.LeaseUntil);

    public Committed? FindCommit(string orderId) => Commits.Find(c => c.OrderId == orderId);
}
