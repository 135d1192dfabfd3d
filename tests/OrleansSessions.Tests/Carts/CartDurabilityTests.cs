using OrleansSessions.Carts;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Carts;

public sealed class CartDurabilityTests
{
    [Fact]
    public async Task A_cart_survives_a_full_cluster_restart_with_the_same_service_id()
    {
        var serviceId = TestDatabase.UniqueId("restart");
        var id = $"cart-{Guid.NewGuid():N}";

        var first = await TestClusters.StartAsync<PostgresSiloConfigurator>(serviceId);
        CartView written;
        try
        {
            await first.Client.GetGrain<ICartGrain>(id).AddItemAsync("SKU-1", 4);
            written = await first.Client.GetGrain<ICartGrain>(id).AddItemAsync("SKU-2", 1);
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        var second = await TestClusters.StartAsync<PostgresSiloConfigurator>(serviceId);
        try
        {
            var read = await second.Client.GetGrain<ICartGrain>(id).GetAsync();
            Assert.True(written.Lines.SequenceEqual(read.Lines), $"cart {id} after restart: {string.Join(',', read.Lines)}");
            Assert.Equal(written.Version, read.Version);
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}
