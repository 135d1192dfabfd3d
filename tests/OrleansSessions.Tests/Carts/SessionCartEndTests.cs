using OrleansSessions.Carts;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Sessions.SessionTestKit;

namespace OrleansSessions.Tests.Carts;

/// <summary>An anonymous session's cart ends with its session: its row is deleted from PostgreSQL and its activation goes.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class SessionCartEndTests(PostgresClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly IClusterClient client = fixture.Client;

    private Task<long> RowsAsync(string cartId) => fixture.RowsAsync("carts.cart", cartId);

    private Task<bool> IsActiveAsync(string cartId) => ActivationCounts.IsActiveAsync(client, client.GetGrain<ICartGrain>(cartId));

    private async Task<string> CartWithLinesAsync(string sessionId)
    {
        var cartId = CartKeys.Session(Hash(sessionId));
        await client.GetGrain<ICartGrain>(cartId).AddItemAsync("SKU-1", 2);
        Assert.True(await RowsAsync(cartId) == 1, $"cart {cartId}: no row after an add");
        return cartId;
    }

    private async Task AssertEndedAsync(string cartId, string why)
    {
        await Poll.UntilAsync(async () => await RowsAsync(cartId) == 0, Deadline, $"the row of cart {cartId} to be deleted after {why}");
        await Poll.UntilAsync(async () => !await IsActiveAsync(cartId), Deadline, $"the activation of cart {cartId} to go after {why}");
        var read = await client.GetGrain<ICartGrain>(cartId).GetAsync();
        Assert.True(read.Lines.IsEmpty && read.Version == 0, $"cart {cartId} after {why}: reads {read.Lines.Length} line(s), version {read.Version}");
    }

    [Fact]
    public async Task An_invalidated_sessions_cart_is_deleted_and_deactivated()
    {
        var (id, session, _) = await CreateAsync(client, Request());
        var cartId = await CartWithLinesAsync(id);

        Assert.True(await session.InvalidateAsync(SessionEndReason.Invalidated), $"session {Hash(id)} was not alive to invalidate");

        await AssertEndedAsync(cartId, "its session was invalidated");
    }

    [Fact]
    public async Task An_expired_sessions_cart_is_deleted_and_deactivated()
    {
        var (id, _, _) = await CreateAsync(client, Request(idle: TimeSpan.FromMinutes(1)));
        var cartId = await CartWithLinesAsync(id);

        fixture.Clock.Advance(TimeSpan.FromMinutes(3));
        await SweepAsync(client);

        await AssertEndedAsync(cartId, "its session expired and was swept");
    }

    [Fact]
    public async Task A_rotated_away_ids_cart_ends_once_its_lines_are_under_the_new_id()
    {
        var (id, session, _) = await CreateAsync(client, Request());
        var cartId = await CartWithLinesAsync(id);

        var rotated = await session.RotateAsync();
        var next = CartKeys.Session(Hash(rotated.SessionId));
        await Poll.UntilAsync(
            async () => !(await client.GetGrain<ICartGrain>(next).GetAsync()).Lines.IsEmpty,
            Deadline,
            $"the lines of cart {cartId} to move to {next}");
        await AssertEndedAsync(cartId, "its session moved to a new id");
    }

    [Fact]
    public async Task Moving_a_cart_that_was_never_written_stores_nothing()
    {
        // What a rotation or a login of a session that never had a cart asks for: most sessions.
        var from = CartKeys.Session(Hash(SessionIds.New()));
        var to = CartKeys.Session(Hash(SessionIds.New()));

        var merged = await client.GetGrain<ICartGrain>(to).MergeFromAsync(from, Guid.NewGuid());

        Assert.True(merged.Lines.IsEmpty && merged.Version == 0, $"cart {to}: merging an empty cart changed it to version {merged.Version}");
        Assert.True(await RowsAsync(to) + await RowsAsync(from) == 0, $"cart {to}: merging the empty cart {from} stored a row");
        await Poll.UntilAsync(async () => !await IsActiveAsync(to) && !await IsActiveAsync(from), Deadline, $"carts {to} and {from} to leave no activation");
    }
}
