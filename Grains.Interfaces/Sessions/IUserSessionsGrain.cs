using System.Collections.Immutable;

namespace OrleansSessions.Sessions;

/// <summary>
/// The live sessions of one user, keyed by user id; enforces the per-user session limit.
/// <para>
/// No blocking call cycles: sessions call the index (register, move, touch, unregister, confirm), the index never
/// waits on a session's turn. Where the index ends sessions (log out everywhere, end one, evict the oldest) it first
/// stores the change and the intent to end them, sends each session a one-way end, and keeps re-sending from the
/// stored intent (reminder) until the session confirms; callers that must know the sessions are gone before they
/// answer end them themselves after the index's turn (<see cref="UserSessions"/>). A session mid-rotation whose entry
/// was removed meanwhile finds its move refused and ends the successor, so no live session is ever left unlisted.
/// </para>
/// </summary>
[Alias("sessions.IUserSessionsGrain")]
public interface IUserSessionsGrain : IGrainWithStringKey
{
    [Alias("list")]
    Task<ImmutableArray<UserSessionEntry>> ListAsync();

    /// <summary>
    /// Unlists every session of the user and stores the intent to end them; returns their id hashes. The sessions end
    /// within moments; <see cref="UserSessions.LogoutEverywhereAsync"/> also waits for them.
    /// </summary>
    [Alias("logout-everywhere.v2")]
    Task<ImmutableArray<string>> LogoutEverywhereAsync();

    /// <summary>Unlists the user's session with this id hash and stores the intent to end it. False when the user has no such session.</summary>
    [Alias("end-by-hash")]
    Task<bool> EndSessionAsync(string sessionIdHash);

    /// <summary>
    /// Called by a session grain when it is bound to this user. Applies the per-user limit, after dropping entries
    /// whose session is gone: throws <see cref="TooManySessionsException"/> or unlists the least recently used session
    /// and ends it, as configured.
    /// </summary>
    [Alias("register")]
    Task RegisterAsync(string sessionIdHash, UserSessionEntry entry);

    /// <summary>Called by a session grain when it has ended.</summary>
    [Alias("unregister")]
    Task UnregisterAsync(string sessionIdHash);

    /// <summary>
    /// Called by a session grain when rotation moved it to a new id; not a new session for the limit. False when the
    /// old id is no longer listed (the user logged out everywhere or the session was evicted meanwhile): the caller
    /// must then end the new id too.
    /// </summary>
    [Alias("move.v2")]
    Task<bool> MoveAsync(string fromSessionIdHash, string toSessionIdHash);

    /// <summary>Called by a session grain when it persists a new last-access time.</summary>
    [Alias("touch")]
    Task TouchAsync(string sessionIdHash, DateTimeOffset lastAccessAt);

    /// <summary>Called by a session grain the index asked to end, once it has ended (or was gone already).</summary>
    [Alias("confirm-ended")]
    Task ConfirmEndedAsync(string sessionIdHash);
}

/// <summary>Index operations that wait until the sessions have ended, without the index itself waiting on them.</summary>
public static class UserSessions
{
    /// <summary>
    /// Logs the user out everywhere and returns how many sessions were ended, once each has ended — or, for one that
    /// could not be reached, once the index has stored the intent to end it, which it re-sends until it lands.
    /// </summary>
    public static async Task<int> LogoutEverywhereAsync(this IGrainFactory grains, string userId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var ended = await grains.GetGrain<IUserSessionsGrain>(userId).LogoutEverywhereAsync();
        await Task.WhenAll(ended.Select(hash => EndAsync(grains, userId, hash, SessionEndReason.LoggedOutEverywhere)));
        return ended.Length;
    }

    /// <summary>Ends the user's session with this id hash, as <see cref="LogoutEverywhereAsync"/> does. False when the user has no such session.</summary>
    public static async Task<bool> EndUserSessionAsync(this IGrainFactory grains, string userId, string sessionIdHash)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (!await grains.GetGrain<IUserSessionsGrain>(userId).EndSessionAsync(sessionIdHash))
        {
            return false;
        }

        await EndAsync(grains, userId, sessionIdHash, SessionEndReason.Invalidated);
        return true;
    }

    private static async Task EndAsync(IGrainFactory grains, string userId, string sessionIdHash, SessionEndReason reason)
    {
        try
        {
            await grains.GetGrain<ISessionGrain>(sessionIdHash).EndForUserAsync(userId, reason);
        }
        catch (Exception e) when (e is not (OperationCanceledException or ArgumentException))
        {
            // Decided and stored by the index already: it keeps re-sending this end until the session confirms.
        }
    }
}
