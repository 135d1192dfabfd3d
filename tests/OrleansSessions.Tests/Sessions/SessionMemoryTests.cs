using OrleansSessions.Carts;
using OrleansSessions.Inventory;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>Memory stays bounded under lookups of ids nobody stored (guesses, typos, probing).</summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class SessionMemoryTests(MemoryClusterFixture fixture)
{
    private async Task<int> ActivationsAsync(string grainClass)
    {
        var statistics = await fixture.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.EndsWith(grainClass, StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }

    [Fact]
    public async Task Lookups_of_unknown_session_cart_and_sku_ids_leave_no_activations_behind()
    {
        var before = (Sessions: await ActivationsAsync(nameof(SessionGrain)), Carts: await ActivationsAsync(nameof(CartGrain)), Stock: await ActivationsAsync("InventoryGrain"));

        await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            Assert.Null(await fixture.Client.GetSessionGrain(SessionIds.New()).GetAsync());
            Assert.Null(await fixture.Client.GetSessionGrain(SessionIds.New()).PeekAsync());
            Assert.True((await fixture.Client.GetGrain<ICartGrain>($"nobody-{i}-{Guid.NewGuid():N}").GetAsync()).Lines.IsEmpty);
            Assert.Null(await fixture.Client.GetGrain<IInventoryGrain>($"SKU-{i}-{Guid.NewGuid():N}"[..30]).GetAsync());
        }));

        await Poll.UntilAsync(
            async () => await ActivationsAsync(nameof(SessionGrain)) <= before.Sessions
                && await ActivationsAsync(nameof(CartGrain)) <= before.Carts
                && await ActivationsAsync("InventoryGrain") <= before.Stock,
            TimeSpan.FromSeconds(20),
            $"session, cart and stock activations to fall back to {before} after 300 lookups of unknown ids each");
    }
}
