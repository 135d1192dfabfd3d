using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Storage;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Storage;

/// <summary>
/// What group commit adds to the storage contract: writes gathered into one transaction keep the semantics each would
/// have alone. Each test gathers its batch deterministically: a first write is held in PostgreSQL by a row lock of the
/// test's own (with one commit at a time, it stays in flight), the writes under test queue behind it, and go together
/// once it is released. Rows written by one transaction share their <c>xmin</c>, which shows they were one commit.
/// </summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class GroupCommitBatchTests(PostgresClusterFixture fixture)
{
    private const string Gate = "batch.gate";
    private const string Rows = "batch.rows";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly string serviceId = TestDatabase.UniqueId("batch");

    private IGrainStorage NewStorage(string? connectionString = null, int maxBatchRows = 256)
        => GroupCommitStorages.Create(fixture.SiloServices, serviceId, connectionString, maxBatchRows);

    private static GrainId NewGrain(string name) => GrainId.Create("cart", $"{name}-{Guid.NewGuid():N}");

    private static GrainState<CartState> State(string sku, int quantity = 1) => new(new CartState { Lines = [new CartLine(sku, quantity)], Version = quantity });

    [Fact]
    public async Task A_stale_row_in_a_batch_fails_alone_and_the_others_commit_together()
    {
        var storage = NewStorage();
        var (stale, a, b) = (NewGrain("stale"), NewGrain("a"), NewGrain("b"));
        var staleCopy = State("OLD");
        await storage.WriteStateAsync(Rows, stale, staleCopy);
        await storage.WriteStateAsync(Rows, stale, new GrainState<CartState>(new CartState { Lines = [new CartLine("NEW", 2)] }, staleCopy.ETag));

        var writes = await InOneBatchAsync(storage, () =>
        [
            storage.WriteStateAsync(Rows, stale, staleCopy),
            storage.WriteStateAsync(Rows, a, State("A")),
            storage.WriteStateAsync(Rows, b, State("B")),
        ]);

        await Assert.ThrowsAsync<InconsistentStateException>(() => writes[0]);
        await Task.WhenAll(writes[1], writes[2]);
        Assert.Equal("NEW", (await ReadAsync(storage, stale)).Lines.Single().Sku);
        await AssertOneCommitAsync(a, b);
    }

    [Fact]
    public async Task A_racing_first_write_in_a_batch_fails_alone_and_the_others_commit_together()
    {
        var storage = NewStorage();
        var (raced, a, b) = (NewGrain("raced"), NewGrain("a"), NewGrain("b"));
        var serializer = fixture.SiloServices.GetRequiredService<OrleansGrainStorageSerializer>();
        await using var rival = await RowHolder.BeginAsync();
        await rival.WriteFirstAsync(serviceId, Rows, raced, serializer.Serialize(new CartState { Lines = [new CartLine("RIVAL", 1)] }).ToArray());

        var writes = await InOneBatchAsync(storage, () =>
        [
            storage.WriteStateAsync(Rows, raced, State("MINE")),
            storage.WriteStateAsync(Rows, a, State("A")),
            storage.WriteStateAsync(Rows, b, State("B")),
        ]);

        // The batch waits on the rival's uncommitted row; once the rival commits, only that write has lost.
        await rival.WaitUntilBlockingAsync();
        await rival.CommitAsync();
        await Assert.ThrowsAsync<InconsistentStateException>(() => writes[0].WaitAsync(Deadline));
        await Task.WhenAll(writes[1], writes[2]);
        Assert.Equal("RIVAL", (await ReadAsync(storage, raced)).Lines.Single().Sku);
        await AssertOneCommitAsync(a, b);
    }

    [Fact]
    public async Task Two_first_writes_of_one_row_in_one_batch_leave_the_first_and_refuse_the_second()
    {
        var storage = NewStorage();
        var twice = NewGrain("twice");

        var writes = await InOneBatchAsync(storage, () =>
        [
            storage.WriteStateAsync(Rows, twice, State("FIRST")),
            storage.WriteStateAsync(Rows, twice, State("SECOND")),
        ]);

        await writes[0];
        await Assert.ThrowsAsync<InconsistentStateException>(() => writes[1]);
        Assert.Equal("FIRST", (await ReadAsync(storage, twice)).Lines.Single().Sku);
    }

    [Fact]
    public async Task A_statement_the_server_refuses_fails_alone_as_not_applied_and_the_others_commit_together()
    {
        var storage = NewStorage();
        var (a, b) = (NewGrain("a"), NewGrain("b"));

        // Longer than the column allows: PostgreSQL raises an error, which rolls back the whole transaction.
        var tooLong = new string('x', 600);
        var writes = await InOneBatchAsync(storage, () =>
        [
            storage.WriteStateAsync(Rows, a, State("A")),
            storage.WriteStateAsync(tooLong, NewGrain("long"), State("LONG")),
            storage.WriteStateAsync(Rows, b, State("B")),
        ]);

        await Assert.ThrowsAsync<StoreUnavailableException>(() => writes[1]);
        await Task.WhenAll(writes[0], writes[2]);
        await AssertOneCommitAsync(a, b);
    }

    [Fact]
    public async Task Writes_of_many_grains_queued_together_share_commits_of_at_most_the_batch_size_and_all_read_back()
    {
        const int count = 200, batchRows = 64;
        var storage = NewStorage(maxBatchRows: batchRows);
        var grains = Enumerable.Range(0, count).Select(i => NewGrain($"g{i}")).ToArray();

        var writes = await InOneBatchAsync(storage, () => [.. grains.Select((g, i) => storage.WriteStateAsync(Rows, g, State($"S{i}", i + 1)))]);
        await Task.WhenAll(writes);

        for (var i = 0; i < count; i++)
        {
            var line = (await ReadAsync(storage, grains[i])).Lines.Single();
            Assert.True(line == new CartLine($"S{i}", i + 1), $"grain {grains[i]}: read back {line}");
        }

        var commits = await TestDatabase.ScalarAsync(
            "SELECT count(DISTINCT xmin::text) FROM OrleansStorage WHERE ServiceId = @service AND GrainTypeString = @state",
            ("service", serviceId), ("state", Rows));
        Assert.True(commits == (count + batchRows - 1) / batchRows, $"service {serviceId}: {count} writes queued together took {commits} commits");
    }

    [Fact]
    public async Task Losing_the_database_while_a_batch_is_in_flight_fails_all_its_writes_as_outcome_unknown_and_later_writes_as_not_applied()
    {
        var database = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        await using var proxy = new TcpProxy("127.0.0.1", database.Port);
        database.Port = proxy.Port;
        database.Timeout = 2;
        var storage = NewStorage(database.ConnectionString);
        var (held, a, b) = (NewGrain("held"), NewGrain("a"), NewGrain("b"));
        var heldState = State("HELD");
        await storage.WriteStateAsync(Rows, held, heldState);
        await using var holder = await RowHolder.BeginAsync();
        await holder.LockAsync(serviceId, Rows, held);

        var writes = await InOneBatchAsync(storage, () =>
        [
            storage.WriteStateAsync(Rows, held, heldState),
            storage.WriteStateAsync(Rows, a, State("A")),
            storage.WriteStateAsync(Rows, b, State("B")),
        ]);
        await holder.WaitUntilBlockingAsync();

        proxy.Cut();
        NpgsqlConnection.ClearPool(new NpgsqlConnection(database.ConnectionString));
        foreach (var write in writes)
        {
            await Assert.ThrowsAsync<StoreOutcomeUnknownException>(() => write.WaitAsync(Deadline));
        }

        await Assert.ThrowsAsync<StoreUnavailableException>(() => storage.WriteStateAsync(Rows, NewGrain("after"), State("AFTER")).WaitAsync(Deadline));
        await holder.RollbackAsync();
    }

    /// <summary>
    /// Holds a gate write in flight, queues <paramref name="writes"/> behind it (each call queues synchronously), and
    /// releases the gate, so that they go in the next commit together.
    /// </summary>
    private async Task<Task[]> InOneBatchAsync(IGrainStorage storage, Func<Task[]> writes)
    {
        var gate = NewGrain("gate");
        var gateState = State("GATE");
        await storage.WriteStateAsync(Gate, gate, gateState);
        await using var holder = await RowHolder.BeginAsync();
        await holder.LockAsync(serviceId, Gate, gate);
        var gateWrite = storage.WriteStateAsync(Gate, gate, gateState);
        await holder.WaitUntilBlockingAsync();

        var queued = writes();
        await holder.RollbackAsync();
        await gateWrite.WaitAsync(Deadline);
        return queued;
    }

    private static async Task<CartState> ReadAsync(IGrainStorage storage, GrainId grain)
    {
        var state = new GrainState<CartState>();
        await storage.ReadStateAsync(Rows, grain, state);
        Assert.True(state.RecordExists, $"grain {grain}: nothing stored");
        return state.State!;
    }

    private async Task AssertOneCommitAsync(params GrainId[] grains)
    {
        var commits = await TestDatabase.ScalarAsync(
            "SELECT count(DISTINCT xmin::text) FROM OrleansStorage WHERE ServiceId = @service AND GrainIdExtensionString = ANY (@keys)",
            ("service", serviceId), ("keys", grains.Select(g => g.Key.ToString()!).ToArray()));
        Assert.True(commits == 1, $"grains {string.Join(", ", grains)} were stored by {commits} commits, not one");
    }
}
