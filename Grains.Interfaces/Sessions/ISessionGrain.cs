using Orleans.Concurrency;
using OrleansSessions.Common;

namespace OrleansSessions.Sessions;

/// <summary>
/// One server-side session, keyed by the HASH of its opaque id (<see cref="SessionIds.Hash"/>; use
/// <see cref="SessionGrainFactoryExtensions.GetSessionGrain"/>): the id itself is never stored, logged or shown by the
/// cluster, so neither a database dump nor a log line can be replayed as a session. Sessions context: availability first — while the database is down,
/// reads of an active session are served from memory and writes are refused (never acknowledged, then lost).
/// Single activation gives read-your-writes to every caller. Reads slide the idle deadline in memory; the slide is
/// persisted at most once per configured fraction of the idle timeout, off the read path.
/// Every write takes an optional expected version (If-Match); a mismatch throws <see cref="SessionVersionMismatchException"/>.
/// Unknown, expired, rotated and invalidated sessions throw <see cref="SessionNotFoundException"/> (or read as null).
/// The correlation id of events comes from <see cref="Correlation"/> (the Orleans request context).
/// </summary>
[Alias("sessions.ISessionGrain")]
public interface ISessionGrain : IExpiringGrain
{
    /// <summary>Starts the session under this (fresh, random) id. Throws when the id is already in use.</summary>
    [Alias("create")]
    Task<SessionView> CreateAsync(SessionCreate request);

    /// <summary>The session, sliding its idle deadline; <see langword="null"/> when it does not exist or has ended.</summary>
    [Alias("get")]
    Task<SessionView?> GetAsync();

    /// <summary>
    /// The session without sliding it (token validation, listings). Reads memory only, so it may interleave with a
    /// call in progress: the user index can ask while the session is waiting on the index, without a deadlock.
    /// </summary>
    [ReadOnly]
    [AlwaysInterleave]
    [Alias("peek")]
    Task<SessionView?> PeekAsync();

    [Alias("set-attribute")]
    Task<SessionView> SetAttributeAsync(string key, string json, long? expectedVersion);

    [Alias("remove-attribute")]
    Task<SessionView> RemoveAttributeAsync(string key, long? expectedVersion);

    /// <summary>Applies an RFC 7396 JSON merge patch (a JSON object) to the attributes, all or nothing.</summary>
    [Alias("patch")]
    Task<SessionView> PatchAsync(string mergePatch, long? expectedVersion);

    /// <summary>Ends the session now. Returns false when it had already ended.</summary>
    [Alias("invalidate")]
    Task<bool> InvalidateAsync(SessionEndReason reason);

    /// <summary>
    /// Ends the session because its user's index unlisted it (log out everywhere, end by hash, eviction), then
    /// confirms to the index; also when the session had ended already. Idempotent.
    /// </summary>
    [Alias("end-for-user")]
    Task EndForUserAsync(string userId, SessionEndReason reason);

    /// <summary>The same as <see cref="EndForUserAsync"/>, one way: the index sends it without waiting for the session.</summary>
    [OneWay]
    [Alias("end-for-user-one-way")]
    Task EndForUserOneWayAsync(string userId, SessionEndReason reason);

    /// <summary>Moves the session to a new id, atomically: the old id is dead at once. Returns the new id and the session.</summary>
    [Alias("rotate")]
    Task<RotatedSession> RotateAsync();

    /// <summary>Binds the session to a user (login), rotating its id as a fixation defence.</summary>
    [Alias("bind-user")]
    Task<RotatedSession> BindUserAsync(string userId);

    /// <summary>Used by rotation only: takes over the state of the session being rotated, under this new key.</summary>
    [Alias("adopt")]
    Task<SessionView> AdoptAsync(SessionView predecessor);
}

public static class SessionGrainFactoryExtensions
{
    /// <summary>The grain of the session with this id (keyed by the id's hash).</summary>
    public static ISessionGrain GetSessionGrain(this IGrainFactory grains, string sessionId)
    {
        return StringKeyedGrains.Get<ISessionGrain>(grains, SessionIds.Hash(sessionId));
    }
}
