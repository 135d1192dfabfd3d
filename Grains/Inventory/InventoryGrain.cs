using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Common.Expiry;

namespace OrleansSessions.Inventory;

/// <summary>
/// One SKU's stock. Every change runs in this activation's single turn and is stored before it is answered, so two
/// reservations can never both take the last units. Leases are judged against the domain clock on every call.
/// Each change raises its facts into the stock's outbox, stored by the same write, and publishes them after it.
/// </summary>
public sealed partial class InventoryGrain(
    [PersistentState(InventoryGrain.StateName, StorageNames.State)] IPersistentState<StockState> stock,
    IEventPublisher publisher,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<InventoryGrain> logger)
    : ReleasedWhenEmptyGrain(stock), IInventoryGrain
{
    public const string StateName = "inventory.stock";

    /// <summary>The earliest lease deadline this activation filed with the expiry sweep; a later one needs no new filing.</summary>
    private DateTimeOffset? filedFor;

    private DeferredWrite? leftoverPublisher;

    private string Sku => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Facts an earlier activation stored but did not get out go now, in a turn of their own, not on the first call.
        if (!stock.State.Events.Pending.IsEmpty)
        {
            (leftoverPublisher ??= new(this, PublishAsync)).Request();
        }

        return Task.CompletedTask;
    }

    public Task<StockView?> GetAsync()
    {
        Identifiers.Validate(Sku, "sku");
        return Task.FromResult(stock.RecordExists ? View(stock.State, time.GetUtcNow()) : null);
    }

    public async Task<StockView> SetStockAsync(int onHand, long unitPrice, string currency)
    {
        Identifiers.Validate(Sku, "sku");
        InventoryRules.ValidateOnHand(onHand);
        InventoryRules.ValidateUnitPrice(unitPrice);
        InventoryRules.ValidateCurrency(currency);
        var now = time.GetUtcNow();
        var current = stock.State;
        var reserved = current.ReservedAt(now);
        if (onHand < reserved)
        {
            throw new StockBelowReservedException(onHand, reserved);
        }

        // Setting what is there already stores nothing: a repeated PUT neither writes nor moves the version.
        if (stock.RecordExists && onHand == current.OnHand && unitPrice == current.UnitPrice && currency == current.Currency
            && !current.HasExpiredLeases(now))
        {
            return View(current, now);
        }

        var next = current.WithoutExpiredLeases(Sku, now, Correlation.Id) with
        {
            OnHand = onHand,
            UnitPrice = unitPrice,
            Currency = currency,
            Version = current.Version + 1,
        };

        // Only dropping expired leases sets nothing.
        if (!stock.RecordExists || onHand != current.OnHand || unitPrice != current.UnitPrice || currency != current.Currency)
        {
            next = Raise(next, new StockSet(Sku, onHand, unitPrice, currency), now);
        }

        await StoreAsync(next);
        return View(next, now);
    }

    public async Task<ReserveResult> ReserveAsync(string orderId, int quantity, DateTimeOffset leaseUntil)
    {
        Identifiers.Validate(Sku, "sku");
        Identifiers.Validate(orderId, "orderId");
        InventoryRules.ValidateQuantity(quantity);
        var now = time.GetUtcNow();
        InventoryRules.ValidateLease(leaseUntil, now);
        var current = stock.State;
        if (current.FindCommit(orderId) is { } sale)
        {
            return new AlreadyCommitted(sale);
        }

        if (current.Leases.TryGetValue(orderId, out var held) && held.IsLive(now))
        {
            if (held.Quantity != quantity)
            {
                throw new DomainValidationException(
                    "quantity", $"Order '{orderId}' holds {held.Quantity} unit(s) of '{Sku}'; release it before reserving {quantity}.");
            }

            if (leaseUntil <= held.LeaseUntil)
            {
                return Reserved(orderId, held);
            }

            var extended = held with { LeaseUntil = leaseUntil };
            var others = current.WithoutExpiredLeases(Sku, now, Correlation.Id);
            await StoreAsync(Raise(
                others with { Leases = others.Leases.SetItem(orderId, extended), Version = current.Version + 1 },
                new StockReserved(Sku, orderId, quantity, leaseUntil),
                now));
            return Reserved(orderId, extended);
        }

        // An expired lease of the same order counts for nothing: this is a new reservation, judged on what is available now.
        var available = current.OnHand - current.ReservedAt(now);
        if (quantity > available)
        {
            return new OutOfStock(quantity, available);
        }

        var lease = new StockLease(quantity, leaseUntil, current.UnitPrice, current.Currency);
        var remaining = current.WithoutExpiredLeases(Sku, now, Correlation.Id);
        await StoreAsync(Raise(
            remaining with { Leases = remaining.Leases.SetItem(orderId, lease), Version = current.Version + 1 },
            new StockReserved(Sku, orderId, quantity, leaseUntil),
            now));
        return Reserved(orderId, lease);
    }

    public async Task ReleaseAsync(string orderId)
    {
        Identifiers.Validate(Sku, "sku");
        Identifiers.Validate(orderId, "orderId");
        var current = stock.State;
        if (!current.Leases.ContainsKey(orderId))
        {
            return;
        }

        // A lease already past its deadline is dropped as expired; only a live one is released.
        var now = time.GetUtcNow();
        var next = current.WithoutExpiredLeases(Sku, now, Correlation.Id);
        if (next.Leases.TryGetValue(orderId, out var live))
        {
            next = Raise(next with { Leases = next.Leases.Remove(orderId) }, new StockReleased(Sku, orderId, live.Quantity), now);
        }

        await StoreAsync(next with { Version = current.Version + 1 });
    }

    public async Task<CommitResult> CommitAsync(string orderId)
    {
        Identifiers.Validate(Sku, "sku");
        Identifiers.Validate(orderId, "orderId");
        var current = stock.State;
        if (current.FindCommit(orderId) is { } done)
        {
            return done;
        }

        var now = time.GetUtcNow();
        if (!current.Leases.TryGetValue(orderId, out var lease) || !lease.IsLive(now))
        {
            // The units went back to stock (or were never held): selling them now could sell units promised to others.
            return new ReservationExpired(orderId);
        }

        var sale = new Committed(orderId, lease.Quantity, lease.UnitPrice, lease.Currency, now);
        var commits = current.Commits.Add(sale);
        var remaining = current.WithoutExpiredLeases(Sku, now, Correlation.Id);
        var next = remaining with
        {
            OnHand = current.OnHand - lease.Quantity,
            Leases = remaining.Leases.Remove(orderId),
            Commits = commits.Count > InventoryRules.MaxRememberedCommits
                ? commits.RemoveRange(0, commits.Count - InventoryRules.MaxRememberedCommits)
                : commits,
            Version = current.Version + 1,
        };
        await StoreAsync(Raise(next, new StockCommitted(Sku, orderId, lease.Quantity, lease.UnitPrice, lease.Currency), now));
        return sale;
    }

    public async Task<DateTimeOffset?> ExpireIfDueAsync()
    {
        var current = stock.State;
        var now = time.GetUtcNow();
        var next = current.WithoutExpiredLeases(Sku, now, Correlation.Id);

        // The sweep files the grain again for the deadline answered here (none: no leases, nothing to come back for),
        // so the store below need not file it too.
        filedFor = next.EarliestLeaseEnd;
        if (current.HasExpiredLeases(now))
        {
            await StoreAsync(next with { Version = current.Version + 1 });
        }

        return filedFor;
    }

    /// <summary>
    /// Files the earliest lease deadline with the expiry sweep, then stores, then publishes the facts: the sweep may
    /// visit a grain whose change was not stored (it answers its real deadline), but never misses a lease that was.
    /// </summary>
    private async Task StoreAsync(StockState next)
    {
        if (next.EarliestLeaseEnd is { } due && !(filedFor <= due))
        {
            await Expiry.ScheduleAsync(GrainFactory, this.GetGrainId(), due);
            filedFor = due;
        }

        await PersistentStateExtensions.CommitAsync(this, stock, next);
        await PublishAsync();
    }

    /// <summary>Publishes the stored facts; what fails stays stored and goes out after the next change or activation.</summary>
    private async Task PublishAsync()
    {
        // Emptied in memory only; the next write stores it (a re-publish after a crash is a duplicate that consumers
        // drop by event id).
        stock.State = stock.State with { Events = await publisher.PublishPendingAsync(stock.State.Events, Sku, logger) };
    }

    private StockState Raise(StockState state, IDomainEvent fact, DateTimeOffset now)
        => state with { Events = state.Events.Raise(Sku, fact, now, Correlation.Id) };

    private static Reserved Reserved(string orderId, StockLease lease)
        => new(orderId, lease.Quantity, lease.LeaseUntil, lease.UnitPrice, lease.Currency);

    private StockView View(StockState state, DateTimeOffset now)
    {
        var reserved = state.ReservedAt(now);
        return new StockView(Sku, state.OnHand, reserved, state.OnHand - reserved, state.UnitPrice, state.Currency, state.Version);
    }

}
