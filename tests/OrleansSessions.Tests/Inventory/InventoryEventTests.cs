using OrleansSessions.Inventory;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Inventory.InventoryTestKit;

namespace OrleansSessions.Tests.Inventory;

/// <summary>The facts a SKU publishes on the <c>inventory</c> streams, on the in-memory TestCluster with its fake clock.</summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class InventoryEventTests(MemoryClusterFixture fixture)
{
    private const string Context = "inventory";

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(15);

    private DateTimeOffset Now => fixture.Clock.GetUtcNow();

    [Fact]
    public async Task Set_reserve_and_commit_publish_their_facts_in_order_and_repeating_them_publishes_nothing()
    {
        var sku = NewSku();
        var order = NewOrderId();
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, sku);
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);
        var until = Now + Lease;

        await grain.SetStockAsync(5, 1999, "EUR");
        await grain.SetStockAsync(5, 1999, "EUR");
        await grain.ReserveAsync(order, 2, until);
        await grain.ReserveAsync(order, 2, until);
        await grain.CommitAsync(order);
        await grain.CommitAsync(order);
        await grain.ReserveAsync(order, 2, until);
        await grain.ReleaseAsync(order);

        // A real change last: had a repeat raised anything, it would be numbered before this one.
        await grain.SetStockAsync(7, 2500, "EUR");

        await events.AssertSequenceAsync(
            new StockSet(sku, 5, 1999, "EUR"),
            new StockReserved(sku, order, 2, until),
            new StockCommitted(sku, order, 2, 1999, "EUR"),
            new StockSet(sku, 7, 2500, "EUR"));
        var stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.True(stored!.Events.LastSequence == 4, $"SKU {sku}: the store holds sequence {stored.Events.LastSequence}, not the last fact's 4");
    }

    [Fact]
    public async Task A_later_deadline_is_published_as_a_new_reservation_and_an_earlier_one_publishes_nothing()
    {
        var sku = NewSku();
        var order = NewOrderId();
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, sku);
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);
        await grain.SetStockAsync(5, 1999, "EUR");
        var until = Now + Lease;
        var extended = Now + (2 * Lease);

        await grain.ReserveAsync(order, 1, until);
        await grain.ReserveAsync(order, 1, extended);
        await grain.ReserveAsync(order, 1, until);
        await grain.ReleaseAsync(order);

        await events.AssertSequenceAsync(
            new StockSet(sku, 5, 1999, "EUR"),
            new StockReserved(sku, order, 1, until),
            new StockReserved(sku, order, 1, extended),
            new StockReleased(sku, order, 1));
    }

    [Fact]
    public async Task A_lease_dropped_after_its_deadline_is_published_as_expired_not_released()
    {
        var sku = NewSku();
        var (kept, expiring) = (NewOrderId(), NewOrderId());
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, sku);
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);
        await grain.SetStockAsync(5, 1999, "EUR");
        var shortLease = Now + TimeSpan.FromMinutes(5);
        var longLease = Now + Lease;
        await grain.ReserveAsync(expiring, 2, shortLease);
        await grain.ReserveAsync(kept, 1, longLease);

        fixture.Clock.Advance(TimeSpan.FromMinutes(6));
        await grain.ExpireIfDueAsync();
        await grain.ExpireIfDueAsync();

        // Its lease is gone already: releasing it is a no-op.
        await grain.ReleaseAsync(expiring);
        await grain.ReleaseAsync(kept);

        await events.AssertSequenceAsync(
            new StockSet(sku, 5, 1999, "EUR"),
            new StockReserved(sku, expiring, 2, shortLease),
            new StockReserved(sku, kept, 1, longLease),
            new StockLeaseExpired(sku, expiring, 2),
            new StockReleased(sku, kept, 1));
    }
}
