using Orleans.TestingHost;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Carts;

/// <summary>Carts favour availability for reads: PostgreSQL goes away (through a proxy) while the cluster runs.</summary>
public sealed class CartDatabaseOutageTests : IClassFixture<ProxiedPostgresCluster>
{
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(30);
    private readonly ProxiedPostgresCluster database;
    private readonly TcpProxy proxy;
    private readonly TestCluster cluster;

    public CartDatabaseOutageTests(ProxiedPostgresCluster database)
    {
        this.database = database;
        proxy = database.Proxy;
        cluster = database.Cluster;
    }

    [Fact]
    public async Task While_the_database_is_down_active_carts_are_read_from_memory_and_writes_are_refused_without_a_trace()
    {
        var id = $"cart-{Guid.NewGuid():N}";
        var cart = cluster.Client.GetGrain<ICartGrain>(id);
        await cart.AddItemAsync("A", 1);

        database.TakeDatabaseAway();

        var read = await cart.GetAsync();
        Assert.True(read.Lines.SequenceEqual([new CartLine("A", 1)]), $"cart {id}: active cart not served from memory");
        await Assert.ThrowsAsync<StoreUnavailableException>(() => cart.AddItemAsync("B", 1));
        read = await cart.GetAsync();
        Assert.True(read.Lines.SequenceEqual([new CartLine("A", 1)]) && read.Version == 1, $"cart {id}: refused write left a trace: {string.Join(',', read.Lines)}");

        var inactive = cluster.Client.GetGrain<ICartGrain>($"cart-{Guid.NewGuid():N}");
        var activation = await Record.ExceptionAsync(inactive.GetAsync);
        Assert.True(
            activation is not null && Chain(activation).Any(e => e is StoreUnavailableException),
            $"activating a cart while the database is down should fail as a store outage, got: {activation}");

        proxy.Restore();
        await Poll.UntilAsync(
            async () =>
            {
                await cart.AddItemAsync("B", 1);
                return true;
            },
            RecoveryDeadline,
            $"a write to cart {id} to succeed once the database is back");

        // Drop every activation so the next read comes from PostgreSQL, not memory.
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var stored = await Poll.ForAsync(
            async () => await cart.GetAsync() is { Version: 2 } view ? view : null,
            RecoveryDeadline,
            $"cart {id} to read back from PostgreSQL");
        Assert.True(stored.Lines.SequenceEqual([new CartLine("A", 1), new CartLine("B", 1)]), $"cart {id}: stored {string.Join(',', stored.Lines)}");
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
