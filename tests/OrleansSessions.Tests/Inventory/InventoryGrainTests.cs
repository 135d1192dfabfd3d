using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Inventory;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Inventory.InventoryTestKit;

namespace OrleansSessions.Tests.Inventory;

/// <summary>Stock, leases and their idempotency on the in-memory TestCluster, with the cluster's fake clock.</summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class InventoryGrainTests(MemoryClusterFixture fixture)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);

    private DateTimeOffset Now => fixture.Clock.GetUtcNow();

    private async Task<(string Sku, IInventoryGrain Grain)> StockedAsync(int onHand, long unitPrice = 1999, string currency = "EUR")
    {
        var sku = NewSku();
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);
        await grain.SetStockAsync(onHand, unitPrice, currency);
        return (sku, grain);
    }

    [Fact]
    public async Task A_never_stocked_sku_reads_as_null_and_reserving_it_is_out_of_stock_with_nothing_stored()
    {
        var sku = NewSku();
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);

        Assert.True(await grain.GetAsync() is null, $"SKU {sku}: never stocked but read a view");
        var answer = await grain.ReserveAsync(NewOrderId(), 1, Now + Lease);
        Assert.True(answer == new OutOfStock(1, 0), $"SKU {sku}: {answer}");
        Assert.True(await StoredAsync(fixture.SiloServices, fixture.Client, sku) is null, $"SKU {sku}: a refused reservation stored state");
    }

    [Fact]
    public async Task Setting_stock_is_read_back_with_price_currency_and_version_and_setting_it_again_changes_nothing()
    {
        var (sku, grain) = await StockedAsync(10, 2500, "USD");

        var view = await grain.GetAsync();
        Assert.True(view == new StockView(sku, 10, 0, 10, 2500, "USD", 1), $"SKU {sku}: {view}");
        var again = await grain.SetStockAsync(10, 2500, "USD");
        Assert.True(again.Version == 1, $"SKU {sku}: the same stock set again moved the version to {again.Version}");
    }

    [Fact]
    public async Task A_reservation_holds_units_at_the_price_of_its_time_and_the_same_order_again_gets_the_same_reservation()
    {
        var (sku, grain) = await StockedAsync(5, 1999, "EUR");
        var order = NewOrderId();
        var until = Now + Lease;

        var first = await grain.ReserveAsync(order, 2, until);
        await grain.SetStockAsync(5, 2999, "USD");
        var second = await grain.ReserveAsync(order, 2, until);

        var expected = new Reserved(order, 2, until, 1999, "EUR");
        Assert.True(first == expected && second == expected, $"SKU {sku}: first {first}, second {second}");
        var view = await grain.GetAsync();
        Assert.True(view is { OnHand: 5, Reserved: 2, Available: 3, UnitPrice: 2999 }, $"SKU {sku}: reserved twice or price lost: {view}");
    }

    [Fact]
    public async Task Reserving_again_with_a_later_deadline_extends_the_lease_and_an_earlier_one_keeps_it()
    {
        var (sku, grain) = await StockedAsync(5);
        var order = NewOrderId();
        await grain.ReserveAsync(order, 1, Now + Lease);

        var extended = await grain.ReserveAsync(order, 1, Now + (2 * Lease));
        var kept = await grain.ReserveAsync(order, 1, Now + TimeSpan.FromMinutes(1));

        Assert.True(extended is Reserved r && r.LeaseUntil == Now + (2 * Lease), $"SKU {sku}: not extended: {extended}");
        Assert.True(kept == extended, $"SKU {sku}: an earlier deadline shortened the lease: {kept}");
        fixture.Clock.Advance(Lease + TimeSpan.FromMinutes(1));
        Assert.True(await grain.GetAsync() is { Reserved: 1 }, $"SKU {sku}: the extended lease ended at its first deadline");
    }

    [Fact]
    public async Task A_different_quantity_for_a_reserved_order_is_refused_and_changes_nothing()
    {
        var (sku, grain) = await StockedAsync(5);
        var order = NewOrderId();
        await grain.ReserveAsync(order, 2, Now + Lease);

        var refused = await Assert.ThrowsAsync<DomainValidationException>(() => grain.ReserveAsync(order, 3, Now + Lease));
        Assert.True(refused.Field == "quantity", $"SKU {sku}: refusal names {refused.Field}");
        var view = await grain.GetAsync();
        Assert.True(view is { Reserved: 2, Version: 2 }, $"SKU {sku}: {view}");
    }

    [Fact]
    public async Task More_than_is_available_is_out_of_stock_naming_what_is_available()
    {
        var (sku, grain) = await StockedAsync(3);
        await grain.ReserveAsync(NewOrderId(), 2, Now + Lease);

        var answer = await grain.ReserveAsync(NewOrderId(), 2, Now + Lease);
        Assert.True(answer == new OutOfStock(2, 1), $"SKU {sku}: {answer}");
    }

    [Fact]
    public async Task Release_gives_the_units_back_and_releasing_again_or_an_unknown_order_changes_nothing()
    {
        var (sku, grain) = await StockedAsync(4);
        var order = NewOrderId();
        await grain.ReserveAsync(order, 3, Now + Lease);

        await grain.ReleaseAsync(order);
        var released = await grain.GetAsync();
        await grain.ReleaseAsync(order);
        await grain.ReleaseAsync(NewOrderId());

        Assert.True(released is { Reserved: 0, Available: 4, Version: 3 }, $"SKU {sku}: {released}");
        Assert.True(await grain.GetAsync() == released, $"SKU {sku}: a repeated or unknown release changed the stock");
    }

    [Fact]
    public async Task Commit_sells_the_reserved_units_once_and_a_repeated_commit_or_reserve_answers_the_same_sale()
    {
        var (sku, grain) = await StockedAsync(10, 500, "GBP");
        var order = NewOrderId();
        await grain.ReserveAsync(order, 4, Now + Lease);

        var first = await grain.CommitAsync(order);
        var second = await grain.CommitAsync(order);
        var replayed = await grain.ReserveAsync(order, 4, Now + Lease);

        Assert.True(first is Committed { Quantity: 4, UnitPrice: 500, Currency: "GBP" } && second == first, $"SKU {sku}: {first} then {second}");
        Assert.True(replayed == new AlreadyCommitted((Committed)first), $"SKU {sku}: reserve after commit answered {replayed}");
        var view = await grain.GetAsync();
        Assert.True(view is { OnHand: 6, Reserved: 0, Available: 6 }, $"SKU {sku}: sold twice or not at all: {view}");
    }

    [Fact]
    public async Task A_lease_that_ran_out_frees_its_units_and_a_commit_after_it_says_the_reservation_expired()
    {
        var (sku, grain) = await StockedAsync(2);
        var late = NewOrderId();
        await grain.ReserveAsync(late, 2, Now + Lease);
        Assert.True(await grain.ReserveAsync(NewOrderId(), 1, Now + Lease) is OutOfStock, $"SKU {sku}: reserved beyond stock");

        fixture.Clock.Advance(Lease);
        var freed = await grain.GetAsync();
        Assert.True(freed is { OnHand: 2, Reserved: 0, Available: 2 }, $"SKU {sku}: an expired lease still counts: {freed}");
        var other = NewOrderId();
        Assert.True(await grain.ReserveAsync(other, 2, Now + Lease) is Reserved, $"SKU {sku}: freed units not reservable");

        var commit = await grain.CommitAsync(late);
        Assert.True(commit == new ReservationExpired(late), $"SKU {sku}: commit after expiry answered {commit}");
        var view = await grain.GetAsync();
        Assert.True(view is { OnHand: 2, Reserved: 2, Available: 0 }, $"SKU {sku}: the expired commit sold units: {view}");
    }

    [Fact]
    public async Task The_next_write_even_a_lease_extension_drops_expired_leases_from_the_stored_state()
    {
        var (sku, grain) = await StockedAsync(5);
        var expired = NewOrderId();
        await grain.ReserveAsync(expired, 1, Now + TimeSpan.FromMinutes(1));
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));

        var live = NewOrderId();
        await grain.ReserveAsync(live, 1, Now + Lease);
        var stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.True(stored is not null && stored.Leases.Keys.SequenceEqual([live]), $"SKU {sku}: stored leases {string.Join(',', stored?.Leases.Keys ?? [])}");

        // Extending a lease is a write too.
        await grain.ReserveAsync(expired, 1, Now + TimeSpan.FromMinutes(1));
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        await grain.ReserveAsync(live, 1, Now + Lease);
        stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.True(stored is not null && stored.Leases.Keys.SequenceEqual([live]), $"SKU {sku}: after an extension, stored leases {string.Join(',', stored?.Leases.Keys ?? [])}");
    }

    [Fact]
    public async Task Stock_cannot_be_set_below_what_live_reservations_hold_but_may_be_once_they_expire()
    {
        var (sku, grain) = await StockedAsync(5);
        await grain.ReserveAsync(NewOrderId(), 3, Now + Lease);

        var refused = await Assert.ThrowsAsync<StockBelowReservedException>(() => grain.SetStockAsync(2, 1999, "EUR"));
        Assert.True(refused is { Requested: 2, Reserved: 3 }, $"SKU {sku}: {refused.Message}");
        Assert.True(await grain.GetAsync() is { OnHand: 5, Version: 2 }, $"SKU {sku}: a refused set changed the stock");
        Assert.True(await grain.SetStockAsync(3, 1999, "EUR") is { OnHand: 3, Available: 0 }, $"SKU {sku}: on hand equal to reserved was refused");

        fixture.Clock.Advance(Lease);
        Assert.True(await grain.SetStockAsync(0, 1999, "EUR") is { OnHand: 0, Reserved: 0 }, $"SKU {sku}: expired leases still block");
    }

    [Theory]
    [InlineData(-1, 100, "EUR", "onHand")]
    [InlineData(InventoryRules.MaxOnHand + 1, 100, "EUR", "onHand")]
    [InlineData(1, -1, "EUR", "unitPrice")]
    [InlineData(1, InventoryRules.MaxUnitPrice + 1, "EUR", "unitPrice")]
    [InlineData(1, 100, "eur", "currency")]
    [InlineData(1, 100, "EURO", "currency")]
    [InlineData(1, 100, "EU\n", "currency")]
    public async Task Invalid_stock_is_refused_naming_the_field_and_stores_nothing(int onHand, long unitPrice, string currency, string field)
    {
        var sku = NewSku();
        var refused = await Assert.ThrowsAsync<DomainValidationException>(
            () => fixture.Client.GetGrain<IInventoryGrain>(sku).SetStockAsync(onHand, unitPrice, currency));
        Assert.True(refused.Field == field, $"SKU {sku}: expected '{field}', refusal names '{refused.Field}'");
        Assert.True(await StoredAsync(fixture.SiloServices, fixture.Client, sku) is null, $"SKU {sku}: a refused set stored state");
    }

    [Fact]
    public async Task Invalid_reservations_are_refused_naming_the_field()
    {
        var (sku, grain) = await StockedAsync(5);
        var cases = new (string Field, Func<Task> Call)[]
        {
            ("quantity", () => grain.ReserveAsync(NewOrderId(), 0, Now + Lease)),
            ("orderId", () => grain.ReserveAsync("bad order", 1, Now + Lease)),
            ("leaseUntil", () => grain.ReserveAsync(NewOrderId(), 1, Now)),
            ("leaseUntil", () => grain.ReserveAsync(NewOrderId(), 1, Now + InventoryRules.MaxLease + TimeSpan.FromSeconds(1))),
            ("sku", () => fixture.Client.GetGrain<IInventoryGrain>("-bad").ReserveAsync(NewOrderId(), 1, Now + Lease)),
        };
        foreach (var (field, call) in cases)
        {
            var refused = await Assert.ThrowsAsync<DomainValidationException>(call);
            Assert.True(refused.Field == field, $"SKU {sku}: expected '{field}', refusal names '{refused.Field}'");
        }

        Assert.True(await grain.GetAsync() is { Reserved: 0, Version: 1 }, $"SKU {sku}: a refused reservation changed the stock");
    }

    [Fact]
    public async Task Fifty_concurrent_one_unit_reservations_against_ten_on_hand_reserve_exactly_ten_and_available_never_goes_negative()
    {
        var (sku, grain) = await StockedAsync(10);

        var (answers, seen) = await ReserveConcurrentlyAsync(grain, 50, Now + Lease);

        Assert.True(answers.Count(a => a is Reserved) == 10, $"SKU {sku}: {answers.Count(a => a is Reserved)} reservations granted");
        Assert.True(answers.Count(a => a is OutOfStock) == 40, $"SKU {sku}: {answers.Count(a => a is OutOfStock)} refused");
        Assert.True(seen.All(v => v.Available >= 0 && v.Reserved <= v.OnHand), $"SKU {sku}: saw {seen.FirstOrDefault(v => v.Available < 0 || v.Reserved > v.OnHand)}");
        Assert.True(seen[^1] is { OnHand: 10, Reserved: 10, Available: 0 }, $"SKU {sku}: {seen[^1]}");
    }

    [Fact]
    public async Task The_expiry_call_drops_expired_leases_and_answers_the_next_lease_deadline()
    {
        var (sku, grain) = await StockedAsync(5);
        var first = Now + TimeSpan.FromMinutes(5);
        var second = Now + TimeSpan.FromMinutes(10);
        await grain.ReserveAsync(NewOrderId(), 1, first);
        var later = NewOrderId();
        await grain.ReserveAsync(later, 1, second);

        Assert.True(await grain.ExpireIfDueAsync() == first, $"SKU {sku}: expected the first deadline");
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await grain.ExpireIfDueAsync() == second, $"SKU {sku}: expected the second deadline");
        var stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.True(stored!.Leases.Keys.SequenceEqual([later]), $"SKU {sku}: stored leases {string.Join(',', stored.Leases.Keys)}");

        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await grain.ExpireIfDueAsync() is null, $"SKU {sku}: no leases left, but the sweep is asked to come back");
    }

    [Fact]
    public async Task The_expiry_sweep_drops_an_expired_lease_nobody_touches_again()
    {
        var (sku, grain) = await StockedAsync(5);
        var deadline = Now + TimeSpan.FromMinutes(2);
        await grain.ReserveAsync(NewOrderId(), 2, deadline);

        // The buckets of the deadline's minute, swept as the sweeper does once that minute is over.
        fixture.Clock.Advance(TimeSpan.FromMinutes(3));
        for (var partition = 0; partition < Expiry.Partitions; partition++)
        {
            await Expiry.SweepMinuteAsync(fixture.Client, partition, Expiry.MinuteOf(deadline));
        }

        var stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.True(stored is { OnHand: 5, Leases.IsEmpty: true }, $"SKU {sku}: the sweep left leases {string.Join(',', stored?.Leases.Keys ?? [])}");
    }
}
