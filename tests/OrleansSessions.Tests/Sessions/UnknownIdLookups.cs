using System.Collections.Immutable;
using OrleansSessions.Carts;
using OrleansSessions.Client.Caching;
using OrleansSessions.Client.Tokens;
using OrleansSessions.Common;
using OrleansSessions.Inventory;
using OrleansSessions.Orders;
using OrleansSessions.Sessions;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// What an API host, a client library or another .NET service can ask about an id nobody stored (guesses, typos,
/// probing): every grain they can reach by an id of their choosing, through reads and through calls that fail.
/// Each lookup checks it got the not-found answer.
/// </summary>
internal static class UnknownIdLookups
{
    /// <summary>The grain classes these lookups reach; none may keep an activation for them.</summary>
    public static readonly ImmutableArray<string> GrainClasses =
        ["SessionGrain", "CartGrain", "InventoryGrain", "OrderSagaGrain", "UserSessionsGrain", "UserOrderHistoryGrain", "UserActivityGrain", "CacheEntryGrain"];

    private static readonly SessionTokens Tokens = new(new SessionTokenOptions());

    /// <summary>Lookup number <paramref name="i"/> of a fresh unknown id; the kind cycles through every grain and call above.</summary>
    public static Task RunAsync(IGrainFactory grains, int i) => (i % 14) switch
    {
        0 => ExpectAsync(grains.GetSessionGrain(SessionIds.New()).GetAsync(), s => s is null, "session get"),
        1 => ExpectAsync(grains.GetSessionGrain(SessionIds.New()).PeekAsync(), s => s is null, "session peek"),
        2 => ExpectAsync(grains.GetSessionGrain(SessionIds.New()).InvalidateAsync(SessionEndReason.Invalidated), ended => !ended, "session end"),
        3 => Assert.ThrowsAsync<SessionNotFoundException>(() => grains.GetSessionGrain(SessionIds.New()).SetAttributeAsync("a", "1", null)),
        4 => Assert.ThrowsAsync<DomainValidationException>(() => grains.GetSessionGrain(SessionIds.New()).CreateAsync(SessionTestKit.Request(userId: "not a user id!"))),
        5 => ExpectAsync(Tokens.ValidateAsync(Tokens.Issue(UnknownSession()).Token, grains), v => v.Failure == SessionTokenFailure.SessionEnded, "token of an unknown sid"),
        6 => ExpectAsync(grains.GetGrain<ICartGrain>(CartKeys.User(Unknown(i))).GetAsync(), c => c.Lines.IsEmpty && c.Version == 0, "user cart"),
        7 => ExpectAsync(grains.GetGrain<ICartGrain>(CartKeys.Session(SessionIds.Hash(SessionIds.New()))).GetAsync(), c => c.Lines.IsEmpty, "session cart"),
        8 => ExpectAsync(grains.GetGrain<IInventoryGrain>(Unknown(i)).GetAsync(), s => s is null, "SKU"),
        9 => ExpectAsync(grains.GetGrain<IOrderSagaGrain>(Unknown(i)).GetAsync(), o => o is null, "order"),
        10 => ExpectAsync(grains.GetGrain<IUserSessionsGrain>(Unknown(i)).ListAsync(), l => l.IsEmpty, "user's sessions"),
        11 => ExpectAsync(grains.GetGrain<IUserOrderHistoryGrain>(Unknown(i)).ListAsync(), l => l.IsEmpty, "user's orders"),
        12 => ExpectAsync(grains.GetGrain<IUserActivityGrain>(Unknown(i)).ListAsync(), l => l.IsEmpty, "user's activity"),
        _ => ExpectAsync(new ClusterDistributedCache(grains).GetAsync(Unknown(i)), v => v is null, "cache entry"),
    };

    private static string Unknown(int i) => $"unknown-{i}-{Guid.NewGuid():N}";

    private static SessionView UnknownSession()
    {
        var now = DateTimeOffset.UtcNow;
        return new(SessionIds.Hash(SessionIds.New()), null, ImmutableDictionary<string, string>.Empty, now, now, now.AddHours(1), now.AddHours(1), 1, null, 1);
    }

    private static async Task ExpectAsync<T>(Task<T> lookup, Func<T, bool> notFound, string what)
        => Assert.True(notFound(await lookup), $"{what}: an unknown id answered something other than not found");
}
