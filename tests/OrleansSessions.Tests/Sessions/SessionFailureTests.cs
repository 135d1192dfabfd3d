using Orleans.Storage;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using OrleansSessions.Tests.Infrastructure.Faults;
using static OrleansSessions.Tests.Sessions.SessionTestKit;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// Regression tests for the races and failures of issue 7, each driven by the fault harness: storage and event
/// publishing that fail before or after a write lands, and writes held at a barrier to force an interleaving.
/// </summary>
[Collection(FaultClusterCollection.Name)]
public sealed class SessionFailureTests(FaultClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly IClusterClient client = fixture.Client;

    private static string NewUser() => $"user-{Guid.NewGuid():N}";

    private static bool IsWriteOf(StorageCall call, string stateName, IAddressable grain)
        => call.Operation == StorageOperation.Write && call.StateName == stateName && call.GrainId == grain.GetGrainId();

    [Fact]
    public async Task Logout_everywhere_during_a_rotation_leaves_no_live_session_the_index_does_not_know()
    {
        var user = NewUser();
        var (id, grain, _) = await CreateAsync(client, Request(userId: user));
        await using var log = await ListenAsync(client, id);

        // The rotation is held as it stores the old id's tombstone, i.e. while it still has the index to tell.
        var held = fixture.Faults.OnStorage(
            c => IsWriteOf(c, "sessions.session", grain) && c.State is SessionState { Ended: true }, FaultMode.Block);
        var rotation = grain.RotateAsync();
        await held.Reached.WaitAsync(Deadline);

        var logout = client.LogoutEverywhereAsync(user);
        await Poll.UntilAsync(
            async () => (await client.GetGrain<IUserSessionsGrain>(user).ListAsync()).IsEmpty, Deadline, $"the index of {user} to unlist session {Hash(id)}");
        held.Release();

        await Assert.ThrowsAsync<SessionNotFoundException>(() => rotation.WaitAsync(Deadline));
        Assert.Equal(1, await logout.WaitAsync(Deadline));

        // Nothing of the session lives on under either id, and a second logout has nothing left to end.
        Assert.Null(await grain.GetAsync());
        Assert.Empty(await client.GetGrain<IUserSessionsGrain>(user).ListAsync());
        Assert.Equal(0, await client.LogoutEverywhereAsync(user));
        var rotated = await log.WaitForAsync(SessionEventKind.Rotated, id);
        Assert.True(
            await client.GetGrain<ISessionGrain>(rotated.NewSessionIdHash!).PeekAsync() is null,
            $"session {Hash(id)}: its successor {rotated.NewSessionIdHash} lives on, unlisted");
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_after_it_landed_is_outcome_unknown_and_the_next_read_shows_what_is_stored()
    {
        var cart = client.GetGrain<ICartGrain>($"cart-{Guid.NewGuid():N}");
        await cart.AddItemAsync("SKU-1", 1);

        fixture.Faults.OnStorage(c => IsWriteOf(c, "carts.cart", cart), FaultMode.FailAfter);
        await Assert.ThrowsAsync<StoreOutcomeUnknownException>(() => cart.AddItemAsync("SKU-1", 2));

        // The activation reloaded: memory agrees with the store, so a client that reads before retrying sees 3.
        var read = await Poll.ForAsync(
            async () => await cart.GetAsync() is { } view && view.Lines.Single().Quantity == 3 ? view : null,
            Deadline, $"cart {cart.GetPrimaryKeyString()} to show the quantity that was stored (3)");
        Assert.Equal(2, read.Version);
    }

    [Fact]
    public async Task A_write_refused_before_it_reached_the_store_is_not_applied_and_changes_nothing()
    {
        var cart = client.GetGrain<ICartGrain>($"cart-{Guid.NewGuid():N}");
        await cart.AddItemAsync("SKU-1", 1);

        fixture.Faults.OnStorage(c => IsWriteOf(c, "carts.cart", cart), FaultMode.FailBefore);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => cart.AddItemAsync("SKU-1", 2));

        var view = await cart.GetAsync();
        Assert.True(view.Lines.Single().Quantity == 1 && view.Version == 1, $"cart {view.CartId}: {view}");
    }

    [Fact]
    public async Task An_invalidation_whose_index_step_fails_still_answers_ended_and_the_slot_comes_back()
    {
        var user = NewUser();
        var index = client.GetGrain<IUserSessionsGrain>(user);
        var (id, grain, _) = await CreateAsync(client, Request(userId: user));
        await CreateAsync(client, Request(userId: user));

        // The tombstone is stored; telling the index fails.
        fixture.Faults.OnStorage(c => IsWriteOf(c, "sessions.user-sessions", index), FaultMode.FailBefore);
        Assert.True(await grain.InvalidateAsync(SessionEndReason.Invalidated), $"session {Hash(id)}: invalidation not answered as done");
        Assert.Null(await grain.GetAsync());

        // The index still lists it, but its slot is not lost: the limit check drops entries whose session is gone.
        Assert.Contains(Hash(id), (await index.ListAsync()).Select(e => e.SessionIdHash));
        await CreateAsync(client, Request(userId: user));

        Assert.DoesNotContain(Hash(id), (await index.ListAsync()).Select(e => e.SessionIdHash));

        // The tombstone kept the step it owes; the sweep comes back to it, finishes it and deletes the row.
        Assert.True(
            await fixture.StoredAsync<SessionState>("sessions.session", grain.GetGrainId()) is { Ended: true, IndexStep: not null },
            $"session {Hash(id)}: the failed index step is not stored with the tombstone");
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        await SweepAsync(client);
        Assert.Null(await fixture.StoredAsync<SessionState>("sessions.session", grain.GetGrainId()));
    }

    [Fact]
    public async Task Ending_a_session_publishes_the_events_an_earlier_publish_failed_to_send()
    {
        var id = SessionIds.New();
        await using var log = await ListenAsync(client, id);
        fixture.Faults.OnPublish(e => e is SessionEvent { Kind: SessionEventKind.Created } created && created.SessionIdHash == Hash(id));

        var grain = client.GetSessionGrain(id);
        await grain.CreateAsync(Request());
        Assert.True(await grain.InvalidateAsync(SessionEndReason.Invalidated));

        await log.WaitForAsync(SessionEventKind.Invalidated, id);
        await log.WaitForAsync(SessionEventKind.Created, id);
    }

    [Fact]
    public async Task The_sweep_never_accepts_a_deadline_in_a_minute_it_has_already_swept()
    {
        var (id, grain, _) = await CreateAsync(client, Request());
        var partition = Expiry.PartitionOf(grain.GetGrainId());
        await SweepAsync(client);
        var swept = await client.GetGrain<IExpirySweeperGrain>(partition).LastSweptMinuteAsync();
        Assert.True(swept is not null, $"partition {partition} has not been swept");

        // A silo whose clock runs late files the session for a minute the sweeper has passed.
        await Expiry.ScheduleAsync(client, grain.GetGrainId(), DateTimeOffset.FromUnixTimeSeconds((swept.Value - 1) * 60));

        var late = await fixture.StoredAsync<ExpiryBucketState>("common.expiry-bucket", BucketId(grain, swept.Value - 1));
        var open = await fixture.StoredAsync<ExpiryBucketState>("common.expiry-bucket", BucketId(grain, swept.Value + 1));
        Assert.True(late is null || !late.Grains.Contains(grain.GetGrainId()), $"session {Hash(id)} filed into swept minute {swept - 1}");
        Assert.True(open?.Grains.Contains(grain.GetGrainId()) == true, $"session {Hash(id)} not filed into the first open minute {swept + 1}");
    }

    [Fact]
    public async Task A_tombstone_whose_delete_met_a_version_conflict_reloads_and_is_deleted_and_an_expired_read_stays_404()
    {
        var (id, grain, _) = await CreateAsync(client, Request());

        // While the ended session's delete is held, its row is written behind its back (as a second activation
        // would), so the delete then carries a stale version.
        var held = fixture.Faults.OnStorage(c => c.Operation == StorageOperation.Clear && c.GrainId == grain.GetGrainId(), FaultMode.Block);
        var invalidation = grain.InvalidateAsync(SessionEndReason.Invalidated);
        await held.Reached.WaitAsync(Deadline);
        var stored = new GrainState<SessionState>();
        await fixture.Store.ReadStateAsync("sessions.session", grain.GetGrainId(), stored);
        await fixture.Store.WriteStateAsync("sessions.session", grain.GetGrainId(), stored);
        held.Release();
        Assert.True(await invalidation.WaitAsync(Deadline), $"session {Hash(id)}: invalidation not answered as done");

        // The conflict deactivated the tombstone: its next activation reloads, finishes and deletes the row.
        await Poll.UntilAsync(
            async () =>
            {
                _ = await grain.ExpireIfDueAsync();
                return await fixture.StoredAsync<SessionState>("sessions.session", grain.GetGrainId()) is null;
            },
            Deadline,
            $"the row of ended session {Hash(id)} to be deleted");

        // An expired session whose end meets a conflict still reads as gone (404), not as an outage (503).
        var (expiredId, expired, _) = await CreateAsync(client, Request(idle: TimeSpan.FromMinutes(1)));
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        fixture.Faults.OnStorage(c => IsWriteOf(c, "sessions.session", expired), FaultMode.Conflict);
        Assert.True(await expired.GetAsync() is null, $"session {Hash(expiredId)}: expired but readable");
    }

    private GrainId BucketId(ISessionGrain session, long minute)
        => client.GetGrain<IExpiryBucketGrain>(Expiry.BucketKey(session.GetGrainId(), minute)).GetGrainId();
}
