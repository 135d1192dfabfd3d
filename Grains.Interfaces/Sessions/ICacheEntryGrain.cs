using OrleansSessions.Common;

namespace OrleansSessions.Sessions;

/// <summary>
/// One entry of the cluster-backed <c>IDistributedCache</c> (the client library's <c>ClusterDistributedCache</c>), keyed by
/// the hash of the cache key (<see cref="CacheEntryGrainFactoryExtensions.GetCacheEntryGrain"/>), so a session key is never
/// stored or logged; ASP.NET Core's <c>app.UseSession()</c> keeps one entry per session this way. Single activation gives
/// every service read-your-writes. An entry past its deadline reads as <see langword="null"/> at once and its stored
/// state is deleted. Reads slide a sliding deadline in memory; the slide is persisted once it has moved by more than a
/// quarter of the sliding window, so most reads never touch the database.
/// </summary>
[Alias("sessions.ICacheEntryGrain")]
public interface ICacheEntryGrain : IExpiringGrain
{
    /// <summary>The value, sliding the entry's deadline; <see langword="null"/> when there is none or it has expired.</summary>
    [Alias("get")]
    Task<byte[]?> GetAsync();

    /// <summary>
    /// Stores <paramref name="value"/> with <paramref name="timing"/>, replacing any earlier value, and acknowledges only once
    /// it is stored. A deadline already passed stores nothing and removes the entry. Throws
    /// <see cref="CacheValueTooLargeException"/> beyond <see cref="CacheEntryLimits.MaxValueBytes"/>.
    /// </summary>
    [Alias("set")]
    Task SetAsync(byte[] value, CacheEntryTiming timing);

    /// <summary>Slides the entry's deadline without reading the value; an expired entry is removed, not revived.</summary>
    [Alias("refresh")]
    Task RefreshAsync();

    /// <summary>Deletes the entry (idempotent).</summary>
    [Alias("remove")]
    Task RemoveAsync();
}

public static class CacheEntryGrainFactoryExtensions
{
    /// <summary>
    /// The grain of the cache entry with this key (keyed by the key's hash). A key with a lone surrogate is refused with an
    /// <see cref="ArgumentException"/> (<see cref="SessionIds.Hash"/>), so it cannot share an entry with another key.
    /// </summary>
    public static ICacheEntryGrain GetCacheEntryGrain(this IGrainFactory grains, string key)
    {
        return StringKeyedGrains.Get<ICacheEntryGrain>(grains, SessionIds.Hash(key));
    }
}
