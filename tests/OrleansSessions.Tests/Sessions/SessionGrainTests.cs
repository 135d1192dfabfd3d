using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Sessions.SessionTestKit;

namespace OrleansSessions.Tests.Sessions;

/// <summary>The session lifecycle on the in-memory TestCluster, with the cluster's fake clock.</summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class SessionGrainTests(MemoryClusterFixture fixture)
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(20);
    private readonly IClusterClient client = fixture.Client;

    [Fact]
    public async Task A_new_session_has_an_opaque_256_bit_id_deadlines_and_version_1()
    {
        var now = fixture.Clock.GetUtcNow();
        var (id, _, view) = await CreateAsync(client, Request(idle: Idle, lifetime: TimeSpan.FromHours(2), attributes: ("cart", "\"c1\"")));

        Assert.True(SessionIds.IsWellFormed(id), $"session {Hash(id)}: id not 43 base64url characters");
        Assert.Equal(1, view.Version);
        Assert.Equal(now + Idle, view.IdleExpiresAt);
        Assert.Equal(now + TimeSpan.FromHours(2), view.AbsoluteExpiresAt);
        Assert.Equal("\"c1\"", view.Attributes["cart"]);
    }

    [Fact]
    public async Task A_write_is_read_back_at_once_and_bumps_the_version()
    {
        var (id, grain, _) = await CreateAsync(client, Request());
        await grain.SetAttributeAsync("theme", "{\"dark\":true}", expectedVersion: null);
        var read = await grain.GetAsync();
        Assert.True(read is { Version: 2 } && read.Attributes["theme"] == "{\"dark\":true}", $"session {Hash(id)}: {read}");
    }

    [Fact]
    public async Task A_write_with_a_stale_version_is_refused_and_changes_nothing()
    {
        var (id, grain, _) = await CreateAsync(client, Request(attributes: ("a", "1")));
        await grain.SetAttributeAsync("a", "2", expectedVersion: 1);
        await Assert.ThrowsAsync<SessionVersionMismatchException>(() => grain.SetAttributeAsync("a", "3", expectedVersion: 1));
        var read = await grain.GetAsync();
        Assert.True(read!.Attributes["a"] == "2" && read.Version == 2, $"session {Hash(id)}: stale write landed");
    }

    [Fact]
    public async Task A_merge_patch_merges_objects_removes_nulls_and_replaces_the_rest()
    {
        var (id, grain, _) = await CreateAsync(client, Request(attributes: [("prefs", "{\"lang\":\"en\",\"tz\":\"UTC\"}"), ("gone", "1"), ("n", "1")]));
        var view = await grain.PatchAsync("{\"prefs\":{\"tz\":null,\"dark\":true},\"gone\":null,\"n\":[1,2]}", expectedVersion: null);
        Assert.True(view.Attributes["prefs"] == "{\"lang\":\"en\",\"dark\":true}", $"session {Hash(id)}: prefs {view.Attributes["prefs"]}");
        Assert.False(view.Attributes.ContainsKey("gone"), $"session {Hash(id)}: null did not remove");
        Assert.Equal("[1,2]", view.Attributes["n"]);
    }

    [Fact]
    public async Task Reads_slide_the_idle_deadline_and_an_idle_session_ends()
    {
        var (id, grain, _) = await CreateAsync(client, Request(idle: Idle));
        fixture.Clock.Advance(Idle * 0.9);
        Assert.NotNull(await grain.GetAsync());
        fixture.Clock.Advance(Idle * 0.9);
        Assert.True(await grain.GetAsync() is not null, $"session {Hash(id)}: a read did not slide the idle deadline");
        fixture.Clock.Advance(Idle + TimeSpan.FromSeconds(1));
        Assert.True(await grain.GetAsync() is null, $"session {Hash(id)}: idle session still readable");
    }

    [Fact]
    public async Task The_absolute_lifetime_ends_a_session_that_is_read_all_the_time()
    {
        var (id, grain, _) = await CreateAsync(client, Request(idle: Idle, lifetime: TimeSpan.FromMinutes(50)));
        for (var i = 0; i < 4; i++)
        {
            fixture.Clock.Advance(TimeSpan.FromMinutes(12));
            Assert.NotNull(await grain.GetAsync());
        }

        fixture.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.True(await grain.GetAsync() is null, $"session {Hash(id)}: outlived its absolute lifetime");
        await Assert.ThrowsAsync<SessionNotFoundException>(() => grain.SetAttributeAsync("a", "1", null));
    }

    [Theory]
    [InlineData("maxValueBytes")]
    [InlineData("maxKeys")]
    [InlineData("maxSessionBytes")]
    public async Task Changes_beyond_a_size_budget_are_refused_naming_the_limit_and_nothing_is_written(string limit)
    {
        var (id, grain, _) = await CreateAsync(client, Request(attributes: ("keep", "1")));
        var patch = limit switch
        {
            "maxValueBytes" => $"{{\"ok\":1,\"big\":\"{new string('x', 17 * 1024)}\"}}",
            "maxKeys" => "{" + string.Join(',', Enumerable.Range(0, 256).Select(i => $"\"k{i}\":{i}")) + "}",
            _ => "{" + string.Join(',', Enumerable.Range(0, 20).Select(i => $"\"k{i}\":\"{new string('x', 15 * 1024)}\"")) + "}",
        };

        var error = await Assert.ThrowsAsync<SessionLimitExceededException>(() => grain.PatchAsync(patch, null));
        Assert.Equal(limit, error.Limit);
        var read = await grain.GetAsync();
        Assert.True(read!.Version == 1 && read.Attributes.Count == 1, $"session {Hash(id)}: partially written after {limit}");
    }

    [Fact]
    public async Task Rotation_moves_the_state_to_a_new_id_and_the_old_id_is_dead_at_once()
    {
        var (id, grain, _) = await CreateAsync(client, Request(attributes: ("a", "1")));
        await using var log = await ListenAsync(client, id);
        var rotated = await grain.RotateAsync();

        Assert.NotEqual(id, rotated.SessionId);
        Assert.Equal("1", rotated.Session.Attributes["a"]);
        Assert.True(await grain.GetAsync() is null, $"session {Hash(id)}: old id still alive after rotation");
        Assert.NotNull(await client.GetSessionGrain(rotated.SessionId).GetAsync());
        var evt = await log.WaitForAsync(SessionEventKind.Rotated, id);
        Assert.Equal(Hash(rotated.SessionId), evt.NewSessionIdHash);
    }

    [Fact]
    public async Task Binding_a_user_rotates_the_id_and_lists_the_session_for_the_user()
    {
        var user = $"user-{Guid.NewGuid():N}";
        var (id, grain, _) = await CreateAsync(client, Request());
        await using var log = await ListenAsync(client, id);
        var bound = await grain.BindUserAsync(user);

        Assert.NotEqual(id, bound.SessionId);
        Assert.Equal(user, bound.Session.UserId);
        Assert.True(await grain.GetAsync() is null, $"session {Hash(id)}: anonymous id survived the login");
        var listed = await client.GetGrain<IUserSessionsGrain>(user).ListAsync();
        Assert.Equal([Hash(bound.SessionId)], listed.Select(e => e.SessionIdHash).ToArray());
        await log.WaitForAsync(SessionEventKind.UserBound, id);
    }

    [Fact]
    public async Task Logging_out_everywhere_ends_every_session_of_the_user()
    {
        var user = $"user-{Guid.NewGuid():N}";
        var sessions = new List<(string Id, ISessionGrain Grain)>();
        for (var i = 0; i < 3; i++)
        {
            var (id, grain, _) = await CreateAsync(client, Request(userId: user));
            sessions.Add((id, grain));
        }

        await using var log = await ListenAsync(client, sessions[0].Id);
        Assert.Equal(3, await client.LogoutEverywhereAsync(user));
        foreach (var (id, grain) in sessions)
        {
            Assert.True(await grain.GetAsync() is null, $"session {Hash(id)} survived logout everywhere");
        }

        Assert.Empty(await client.GetGrain<IUserSessionsGrain>(user).ListAsync());
        await log.WaitForAsync(SessionEventKind.LoggedOutEverywhere, sessions[0].Id);
    }

    [Fact]
    public async Task One_session_can_be_ended_from_the_users_list_by_its_hash()
    {
        var user = $"user-{Guid.NewGuid():N}";
        var (first, firstGrain, _) = await CreateAsync(client, Request(userId: user));
        var (second, secondGrain, _) = await CreateAsync(client, Request(userId: user));

        Assert.True(await client.EndUserSessionAsync(user, Hash(first)));
        Assert.True(await firstGrain.GetAsync() is null, $"session {Hash(first)} not ended");
        Assert.True(await secondGrain.GetAsync() is not null, $"session {Hash(second)} ended too");
        Assert.Equal([Hash(second)], (await client.GetGrain<IUserSessionsGrain>(user).ListAsync()).Select(e => e.SessionIdHash).ToArray());
    }

    [Fact]
    public async Task Beyond_the_per_user_limit_a_new_session_is_refused_and_not_created()
    {
        var user = $"user-{Guid.NewGuid():N}";
        for (var i = 0; i < 10; i++)
        {
            await CreateAsync(client, Request(userId: user));
        }

        var id = SessionIds.New();
        await Assert.ThrowsAsync<TooManySessionsException>(() => client.GetSessionGrain(id).CreateAsync(Request(userId: user)));
        Assert.True(await client.GetSessionGrain(id).GetAsync() is null, $"session {Hash(id)}: refused session exists");
        Assert.Equal(10, (await client.GetGrain<IUserSessionsGrain>(user).ListAsync()).Length);
    }

    [Fact]
    public async Task Creation_and_invalidation_are_published_with_event_ids_and_the_correlation_id()
    {
        var id = SessionIds.New();
        await using var log = await ListenAsync(client, id);
        Correlation.Id = "corr-123";
        try
        {
            await client.GetSessionGrain(id).CreateAsync(Request(userId: $"user-{Guid.NewGuid():N}"));
            await client.GetSessionGrain(id).InvalidateAsync(SessionEndReason.Invalidated);
        }
        finally
        {
            Correlation.Id = null;
        }

        var created = await log.WaitForAsync(SessionEventKind.Created, id);
        var invalidated = await log.WaitForAsync(SessionEventKind.Invalidated, id);
        Assert.Equal("corr-123", created.CorrelationId);
        Assert.Equal(Hash(id), invalidated.SessionIdHash);
        Assert.NotEqual(created.EventId, invalidated.EventId);
    }

    [Fact]
    public async Task The_sweep_ends_sessions_nobody_touches_again_and_publishes_expired()
    {
        var (id, grain, _) = await CreateAsync(client, Request(idle: TimeSpan.FromMinutes(1)));
        await using var log = await ListenAsync(client, id);
        fixture.Clock.Advance(TimeSpan.FromMinutes(3));
        await SweepAsync(client);
        await log.WaitForAsync(SessionEventKind.Expired, id);
        Assert.True(await grain.PeekAsync() is null, $"session {Hash(id)} not swept");
    }

    [Fact]
    public async Task Sessions_filed_for_one_minute_spread_over_its_buckets_and_the_sweep_deletes_every_one()
    {
        var created = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => CreateAsync(client, Request(idle: TimeSpan.FromMinutes(1)))));
        var buckets = created.Select(c => Expiry.BucketKey(c.Grain.GetGrainId(), Expiry.MinuteOf(c.View.IdleExpiresAt))).Distinct().Count();
        Assert.True(buckets > Expiry.Partitions, $"32 sessions expiring together were filed in only {buckets} buckets");

        fixture.Clock.Advance(TimeSpan.FromMinutes(3));
        await SweepAsync(client);
        var storage = fixture.SiloServices.GetRequiredKeyedService<IGrainStorage>(StorageNames.State);
        foreach (var (id, grain, _) in created)
        {
            var stored = new GrainState<SessionState>();
            await storage.ReadStateAsync("sessions.session", grain.GetGrainId(), stored);
            Assert.False(stored.RecordExists, $"session {Hash(id)}: expired, swept, still stored");
        }
    }
}

/// <summary>The evict-oldest policy needs its own cluster configuration.</summary>
public sealed class SessionEvictionTests
{
    [Fact]
    public async Task With_evict_oldest_a_new_session_ends_the_least_recently_used_one()
    {
        var cluster = await TestClusters.StartAsync<MemoryClusterFixture.Configurator>(
            TestDatabase.UniqueId("evict"),
            settings: new Dictionary<string, string?> { ["Sessions:MaxSessionsPerUser"] = "2", ["Sessions:LimitPolicy"] = "EvictOldest" });
        try
        {
            var user = $"user-{Guid.NewGuid():N}";
            var clock = TestClocks.For(cluster);
            var (oldest, oldestGrain, _) = await CreateAsync(cluster.Client, Request(userId: user));
            clock.Advance(TimeSpan.FromMinutes(1));
            var (kept, keptGrain, _) = await CreateAsync(cluster.Client, Request(userId: user));
            clock.Advance(TimeSpan.FromMinutes(1));
            var (newest, _, _) = await CreateAsync(cluster.Client, Request(userId: user));

            Assert.True(await oldestGrain.GetAsync() is null, $"session {Hash(oldest)} should have been evicted");
            Assert.True(await keptGrain.GetAsync() is not null, $"session {Hash(kept)} should have been kept");
            var listed = (await cluster.Client.GetGrain<IUserSessionsGrain>(user).ListAsync()).Select(e => e.SessionIdHash).ToHashSet();
            Assert.True(listed.SetEquals([Hash(kept), Hash(newest)]), $"user {user} lists {string.Join(',', listed)}");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
