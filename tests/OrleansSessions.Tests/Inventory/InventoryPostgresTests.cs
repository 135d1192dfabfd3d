using OrleansSessions.Inventory;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Inventory.InventoryTestKit;

namespace OrleansSessions.Tests.Inventory;

/// <summary>The stock invariants against the real PostgreSQL store.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class InventoryPostgresTests(PostgresClusterFixture fixture)
{
    [Fact]
    public async Task Fifty_concurrent_one_unit_reservations_against_ten_on_hand_store_exactly_ten_leases_in_postgresql()
    {
        var sku = NewSku();
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);
        await grain.SetStockAsync(10, 1999, "EUR");
        var until = fixture.Clock.GetUtcNow().AddMinutes(15);

        var (answers, seen) = await ReserveConcurrentlyAsync(grain, 50, until);

        var granted = answers.OfType<Reserved>().Select(r => r.OrderId).Order(StringComparer.Ordinal).ToList();
        Assert.True(granted.Count == 10 && answers.Count(a => a is OutOfStock) == 40, $"SKU {sku}: {granted.Count} granted, {answers.Count(a => a is OutOfStock)} refused");
        Assert.True(seen.All(v => v.Available >= 0 && v.Reserved <= v.OnHand), $"SKU {sku}: saw {seen.FirstOrDefault(v => v.Available < 0 || v.Reserved > v.OnHand)}");

        // Read from the database through the storage provider, not from the activation.
        var stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.NotNull(stored);
        Assert.True(stored.OnHand == 10 && stored.Version == 11, $"SKU {sku}: stored on hand {stored.OnHand}, version {stored.Version}");
        Assert.True(
            stored.Leases.Keys.Order(StringComparer.Ordinal).SequenceEqual(granted) && stored.Leases.Values.All(l => l.Quantity == 1 && l.LeaseUntil == until),
            $"SKU {sku}: stored leases {string.Join(',', stored.Leases.Select(l => $"{l.Key}={l.Value.Quantity}"))} but granted {string.Join(',', granted)}");
    }

    [Fact]
    public async Task A_commit_is_stored_as_a_sale_and_answered_again_after_the_grain_reloads_from_postgresql()
    {
        var sku = NewSku();
        var order = NewOrderId();
        var grain = fixture.Client.GetGrain<IInventoryGrain>(sku);
        await grain.SetStockAsync(5, 700, "USD");
        await grain.ReserveAsync(order, 2, fixture.Clock.GetUtcNow().AddMinutes(15));
        var sale = await grain.CommitAsync(order);

        await fixture.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.True(await grain.CommitAsync(order) == sale, $"SKU {sku}: the repeated commit after a reload did not answer the same sale");
        var stored = await StoredAsync(fixture.SiloServices, fixture.Client, sku);
        Assert.True(stored is { OnHand: 3, Leases.IsEmpty: true } && stored.FindCommit(order) == sale, $"SKU {sku}: stored {stored}");
    }
}
