using System.Collections.Immutable;

namespace OrleansSessions.Sessions;

/// <summary>The live sessions of one user, keyed by user id; enforces the per-user session limit.</summary>
[Alias("sessions.IUserSessionsGrain")]
public interface IUserSessionsGrain : IGrainWithStringKey
{
    [Alias("list")]
    Task<ImmutableArray<UserSessionEntry>> ListAsync();

    /// <summary>Invalidates every session of the user. Returns how many were ended.</summary>
    [Alias("logout-everywhere")]
    Task<int> LogoutEverywhereAsync();

    /// <summary>Invalidates the user's session with this id hash. Returns false when the user has no such session.</summary>
    [Alias("end-by-hash")]
    Task<bool> EndSessionAsync(string sessionIdHash);

    /// <summary>
    /// Called by a session grain when it is bound to this user. Applies the per-user limit: throws
    /// <see cref="TooManySessionsException"/> or ends the oldest session, as configured.
    /// </summary>
    [Alias("register")]
    Task RegisterAsync(string sessionIdHash, UserSessionEntry entry);

    /// <summary>Called by a session grain when it ends.</summary>
    [Alias("unregister")]
    Task UnregisterAsync(string sessionIdHash);

    /// <summary>Called by a session grain when rotation moves it to a new id; not a new session for the limit.</summary>
    [Alias("move")]
    Task MoveAsync(string fromSessionIdHash, string toSessionIdHash);

    /// <summary>Called by a session grain when it persists a new last-access time.</summary>
    [Alias("touch")]
    Task TouchAsync(string sessionIdHash, DateTimeOffset lastAccessAt);
}
