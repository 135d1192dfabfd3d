using Orleans.TestingHost;
using OrleansSessions.Common;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Sessions.SessionTestKit;

namespace OrleansSessions.Tests.Sessions;

/// <summary>Sessions against the real PostgreSQL: rows, restarts, rotation races.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class SessionPostgresTests(PostgresClusterFixture fixture)
{
    private readonly IClusterClient client = fixture.Client;

    /// <summary>Rows of the session; stored under the id's hash (the id itself is never stored).</summary>
    private Task<long> RowsAsync(string sessionId) => fixture.RowsAsync("sessions.session", Hash(sessionId));

    [Fact]
    public async Task The_session_id_itself_is_never_stored_only_its_hash()
    {
        var user = $"user-{Guid.NewGuid():N}";
        var (id, grain, _) = await CreateAsync(client, Request(userId: user));
        var rotated = await grain.RotateAsync();

        foreach (var raw in new[] { id, rotated.SessionId })
        {
            var leaks = await TestDatabase.ScalarAsync(
                "select count(*) from orleansstorage where grainidextensionstring = @raw or position(convert_to(@raw, 'UTF8') in coalesce(payloadbinary, ''::bytea)) > 0",
                ("raw", raw));
            Assert.True(leaks == 0, $"session {Hash(raw)}: the raw id is stored in {leaks} row(s)");
        }

        Assert.True(await RowsAsync(rotated.SessionId) == 1, $"session {Hash(rotated.SessionId)}: no row under its hash");
    }

    [Fact]
    public async Task The_expiry_sweep_deletes_the_rows_of_sessions_nobody_touches_again()
    {
        var (id, _, _) = await CreateAsync(client, Request(idle: TimeSpan.FromMinutes(1)));
        Assert.True(await RowsAsync(id) == 1, $"session {Hash(id)}: no row after create");

        // Two minutes after expiry at the latest: the minute of the deadline, then the sweep of the following minute.
        fixture.Clock.Advance(TimeSpan.FromMinutes(3));
        await SweepAsync(client);
        Assert.True(await RowsAsync(id) == 0, $"session {Hash(id)}: row still there after the sweep");
    }

    private Task<long> StoredVersionAsync(string sessionId) => TestDatabase.ScalarAsync(
        "select coalesce(max(version), 0) from orleansstorage where serviceid = @service and graintypestring = 'sessions.session' and grainidextensionstring = @id",
        ("service", fixture.Cluster.Options.ServiceId), ("id", Hash(sessionId)));

    [Fact]
    public async Task Reads_do_not_write_and_the_idle_slide_is_persisted_once_per_fraction_of_the_idle_timeout()
    {
        // Idle 20 min, fraction 0.25: the slide is persisted once it has moved 5 minutes.
        var (id, grain, _) = await CreateAsync(client, Request(idle: TimeSpan.FromMinutes(20)));
        var created = await StoredVersionAsync(id);
        for (var i = 0; i < 50; i++)
        {
            fixture.Clock.Advance(TimeSpan.FromSeconds(5));
            Assert.NotNull(await grain.GetAsync());
        }

        Assert.True(await StoredVersionAsync(id) == created, $"session {Hash(id)}: 50 reads within 5 minutes wrote to the database");

        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await grain.GetAsync();
        await Poll.UntilAsync(
            async () => await StoredVersionAsync(id) == created + 1,
            TimeSpan.FromSeconds(10),
            $"the slide of session {Hash(id)} to be persisted once");
        await grain.GetAsync();
        Assert.True(await StoredVersionAsync(id) == created + 1, $"session {Hash(id)}: a read right after the persisted slide wrote again");
    }

    [Fact]
    public async Task Rotation_under_concurrent_writes_keeps_every_acknowledged_write_under_the_new_id()
    {
        var (id, grain, _) = await CreateAsync(client, Request());
        async Task<(string Key, bool Acknowledged)> WriteAsync(int i)
        {
            try
            {
                await grain.SetAttributeAsync($"k{i}", $"{i}", expectedVersion: null);
                return (Key: $"k{i}", Acknowledged: true);
            }
            catch (SessionNotFoundException)
            {
                return (Key: $"k{i}", Acknowledged: false);
            }
        }

        // Writes queued on both sides of the rotation: each must either land and move, or be refused as not found.
        var before = Enumerable.Range(0, 20).Select(WriteAsync).ToList();
        var rotation = grain.RotateAsync();
        var after = Enumerable.Range(20, 20).Select(WriteAsync).ToList();
        var rotated = await rotation;

        // Messages of one client to one grain are not ordered, so which of the concurrent writes lands before the
        // rotation varies; writes sent once it is answered must all be refused.
        var late = Enumerable.Range(40, 5).Select(WriteAsync).ToList();
        var outcomes = await Task.WhenAll(before.Concat(after).Concat(late));
        Assert.Contains(outcomes, o => o.Acknowledged);
        Assert.All(outcomes[^5..], o => Assert.False(o.Acknowledged, $"session {Hash(id)}: {o.Key} written to the old id after the rotation answered"));

        var moved = await client.GetSessionGrain(rotated.SessionId).GetAsync();
        Assert.NotNull(moved);
        foreach (var (key, acknowledged) in outcomes)
        {
            Assert.True(
                moved.Attributes.ContainsKey(key) == acknowledged,
                $"session {Hash(id)}→{Hash(rotated.SessionId)}: {key} acknowledged={acknowledged} but present={moved.Attributes.ContainsKey(key)}");
        }

        Assert.True(await grain.GetAsync() is null, $"session {Hash(id)}: old id alive after rotation");
        Assert.True(await RowsAsync(id) == 0 && await RowsAsync(rotated.SessionId) == 1, $"session {Hash(id)}: rows not moved");
    }
}

public sealed class SessionDurabilityTests
{
    [Fact]
    public async Task A_session_survives_a_full_cluster_restart_with_the_same_service_id()
    {
        var serviceId = TestDatabase.UniqueId("sess-restart");
        var first = await TestClusters.StartAsync<PostgresSiloConfigurator>(serviceId);
        string id;
        try
        {
            (id, var grain, _) = await CreateAsync(first.Client, Request(userId: "restart-user", attributes: ("cart", "\"c9\"")));
            await grain.SetAttributeAsync("step", "2", expectedVersion: 1);
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        var second = await TestClusters.StartAsync<PostgresSiloConfigurator>(serviceId);
        try
        {
            var read = await second.Client.GetSessionGrain(id).GetAsync();
            Assert.True(read is { Version: 2, UserId: "restart-user" }, $"session {Hash(id)} after restart: {read}");
            Assert.Equal("\"c9\"", read.Attributes["cart"]);
            Assert.Equal("2", read.Attributes["step"]);
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}

/// <summary>Sessions favour availability: PostgreSQL goes away (through a proxy) while the cluster runs.</summary>
public sealed class SessionDatabaseOutageTests(ProxiedPostgresCluster database) : IClassFixture<ProxiedPostgresCluster>
{
    private readonly TcpProxy proxy = database.Proxy;
    private readonly TestCluster cluster = database.Cluster;

    [Fact]
    public async Task While_the_database_is_down_active_sessions_are_read_and_slid_in_memory_and_writes_are_refused()
    {
        var clock = TestClocks.For(cluster);
        var (id, grain, _) = await CreateAsync(cluster.Client, Request(idle: TimeSpan.FromMinutes(20), attributes: ("a", "1")));
        var (shortId, shortLived, _) = await CreateAsync(cluster.Client, Request(idle: TimeSpan.FromMinutes(1)));

        database.TakeDatabaseAway();
        for (var i = 0; i < 3; i++)
        {
            // Each read slides past what would be persisted; the failed background write must not fail the read.
            clock.Advance(TimeSpan.FromMinutes(15));
            Assert.True(await grain.GetAsync() is { Version: 1 }, $"session {Hash(id)}: not served from memory during the outage");
        }

        await Assert.ThrowsAsync<StoreUnavailableException>(() => grain.SetAttributeAsync("b", "2", null));
        Assert.False((await grain.GetAsync())!.Attributes.ContainsKey("b"), $"session {Hash(id)}: refused write visible");

        // One that expired meanwhile reads as gone at once, even though ending it cannot be stored yet.
        Assert.True(await shortLived.GetAsync() is null, $"session {Hash(shortId)}: expired during the outage but still readable");

        proxy.Restore();
        var acknowledged = await Poll.ForAsync(
            async () => await grain.SetAttributeAsync("b", "2", null),
            TimeSpan.FromSeconds(30),
            $"a write to session {Hash(id)} once the database is back");
        Assert.Equal(2, acknowledged.Version);

        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var stored = await Poll.ForAsync(
            async () => await grain.PeekAsync() is { Version: 2 } view ? view : null,
            TimeSpan.FromSeconds(30),
            $"session {Hash(id)} to read back from PostgreSQL");
        Assert.Equal("2", stored.Attributes["b"]);
    }
}
