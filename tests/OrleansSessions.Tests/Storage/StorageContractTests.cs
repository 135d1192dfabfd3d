using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Storage;

/// <summary>The grain-storage contract of orleans.sql with the group-commit provider (the default).</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class GroupCommitStorageContractTests(PostgresClusterFixture fixture) : StorageContractTests(fixture.Cluster);

/// <summary>The grain-storage contract of orleans.sql with Orleans' ADO.NET provider (<c>Orleans:Storage:Mode</c> = <c>AdoNet</c>).</summary>
[Collection(AdoNetStorageCollection.Name)]
public sealed class AdoNetStorageContractTests(AdoNetStorageFixture fixture) : StorageContractTests(fixture.Cluster);

/// <summary>The grain-storage contract of orleans.sql, exercised through the storage of a running silo.</summary>
public abstract class StorageContractTests(TestCluster cluster)
{
    private IGrainStorage Storage => cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.State);

    private string ServiceId => cluster.Options.ServiceId;

    private static GrainId NewGrainId(string type = "cart") => GrainId.Create(type, $"k-{Guid.NewGuid():N}");

    private static GrainState<CartState> State(params CartLine[] lines) => new(new CartState { Lines = [.. lines], Version = lines.Length });

    [Fact]
    public async Task A_write_with_a_stale_etag_fails_and_leaves_the_newer_state()
    {
        var id = NewGrainId();
        var first = State(new CartLine("A", 1));
        await Storage.WriteStateAsync("contract.stale", id, first);

        var reader = new GrainState<CartState>();
        await Storage.ReadStateAsync("contract.stale", id, reader);
        reader.State = new CartState { Lines = [new CartLine("B", 2)], Version = 2 };
        await Storage.WriteStateAsync("contract.stale", id, reader);

        first.State = new CartState { Lines = [new CartLine("C", 3)], Version = 9 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("contract.stale", id, first));

        var stored = new GrainState<CartState>();
        await Storage.ReadStateAsync("contract.stale", id, stored);
        Assert.True(stored.State!.Lines.SequenceEqual([new CartLine("B", 2)]), $"grain {id}: the stale write must not land");
    }

    [Fact]
    public async Task Two_concurrent_first_writes_leave_exactly_one_row_and_one_writer_fails()
    {
        const string stateName = "contract.race";
        var id = NewGrainId();
        var writes = Enumerable.Range(1, 2)
            .Select(i => Task.Run(() => Storage.WriteStateAsync(stateName, id, State(new CartLine($"W{i}", i)))))
            .ToArray();
        var outcomes = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                await w;
                return (Exception?)null;
            }
            catch (Exception e)
            {
                return e;
            }
        }));

        Assert.Equal(1, outcomes.Count(o => o is null));
        Assert.IsType<InconsistentStateException>(Assert.Single(outcomes, o => o is not null));
        var rows = await TestDatabase.ScalarAsync(
            "select count(*) from orleansstorage where serviceid = @service and graintypestring = @state",
            ("service", ServiceId), ("state", stateName));
        Assert.True(rows == 1, $"grain {id}: expected exactly one row after racing first writes, found {rows}");
    }

    [Fact]
    public async Task Two_grain_types_with_the_same_key_keep_separate_state()
    {
        var key = $"shared-{Guid.NewGuid():N}";
        var cartId = GrainId.Create("cart", key);
        var orderId = GrainId.Create("order", key);
        await Storage.WriteStateAsync("carts.cart", cartId, State(new CartLine("CART", 1)));
        await Storage.WriteStateAsync("orders.order", orderId, State(new CartLine("ORDER", 2)));

        var cart = new GrainState<CartState>();
        var order = new GrainState<CartState>();
        await Storage.ReadStateAsync("carts.cart", cartId, cart);
        await Storage.ReadStateAsync("orders.order", orderId, order);
        Assert.True(cart.State!.Lines.SequenceEqual([new CartLine("CART", 1)]), $"grain {cartId} was overwritten");
        Assert.True(order.State!.Lines.SequenceEqual([new CartLine("ORDER", 2)]), $"grain {orderId} was overwritten");
    }

    [Fact]
    public void Every_grain_type_uses_its_own_state_names()
    {
        // orleans.sql keys rows by state name, not grain type (Orleans issue #9737): a shared name would share rows.
        var owners = typeof(CartGrain).Assembly.GetTypes()
            .Where(t => t.IsClass && typeof(Grain).IsAssignableFrom(t))
            .SelectMany(t => t.GetConstructors().SelectMany(c => c.GetParameters())
                .Select(p => p.GetCustomAttribute<PersistentStateAttribute>())
                .OfType<PersistentStateAttribute>()
                .Select(a => (Grain: t, a.StateName)))
            .ToList();

        Assert.NotEmpty(owners);
        var shared = owners.GroupBy(o => o.StateName).Where(g => g.Select(o => o.Grain).Distinct().Count() > 1).Select(g => g.Key);
        Assert.Empty(shared);
    }

    [Fact]
    public async Task Clearing_state_then_writing_again_works()
    {
        var id = NewGrainId();
        var state = State(new CartLine("A", 1));
        await Storage.WriteStateAsync("contract.clear", id, state);
        await Storage.ClearStateAsync("contract.clear", id, state);

        var cleared = new GrainState<CartState>();
        await Storage.ReadStateAsync("contract.clear", id, cleared);
        Assert.False(cleared.RecordExists, $"grain {id}: cleared state must read as absent");

        state.State = new CartState { Lines = [new CartLine("B", 5)], Version = 7 };
        await Storage.WriteStateAsync("contract.clear", id, state);

        var stored = new GrainState<CartState>();
        await Storage.ReadStateAsync("contract.clear", id, stored);
        Assert.True(stored.State!.Lines.SequenceEqual([new CartLine("B", 5)]), $"grain {id}: write after clear did not land");
    }
}
