using System.Buffers;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using OrleansSessions.Sessions;

namespace OrleansSessions.Client.Caching;

/// <summary>
/// An <see cref="IDistributedCache"/> kept in the OrleansSessions cluster: one <see cref="ICacheEntryGrain"/> per key, so
/// every service instance connected to the cluster reads what any of them wrote (read-your-writes across instances).
/// Register it with <see cref="ServiceCollectionExtensions.AddOrleansSessionsDistributedCache"/>.
/// </summary>
/// <remarks>
/// Expirations follow <see cref="DistributedCacheEntryOptions"/> as <c>MemoryDistributedCache</c> reads them: a relative
/// expiration is resolved on the cluster's clock; with both an absolute date and a relative expiration the earlier one
/// wins; an absolute date already passed stores nothing and removes the old value. Values are limited to
/// <see cref="CacheEntryLimits.MaxValueBytes"/> (<see cref="CacheValueTooLargeException"/>) and keys to
/// <see cref="CacheEntryLimits.MaxKeyLength"/> characters of valid UTF-16: a key with a lone surrogate is refused with an
/// <see cref="ArgumentException"/> (<c>MemoryDistributedCache</c> keeps it as its own key; here it has no UTF-8 form to
/// hash, and replacing it would merge it with other keys).
/// A cancelled token stops the wait, not a call already sent: a set may still land.
/// </remarks>
public sealed class ClusterDistributedCache(IGrainFactory grains) : IDistributedCache
{
    // The synchronous members block on the asynchronous ones because IDistributedCache requires them and grain calls are
    // asynchronous only. ASP.NET Core has no synchronization context, so blocking cannot deadlock; it holds a thread-pool
    // thread for one grain call. The session middleware uses the asynchronous members when the app awaits
    // ISession.LoadAsync, which it should.

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var grain = Entry(key);
        token.ThrowIfCancellationRequested();
        return grain.GetAsync().WaitAsync(token);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var grain = Entry(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);

        // Refused before it crosses the wire; the grain checks again for callers that do not come through here.
        if (value.Length > CacheEntryLimits.MaxValueBytes)
        {
            throw new CacheValueTooLargeException(value.Length);
        }

        if (options.AbsoluteExpirationRelativeToNow <= TimeSpan.Zero || options.SlidingExpiration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Relative and sliding expirations must be positive.");
        }

        token.ThrowIfCancellationRequested();
        var timing = new CacheEntryTiming(options.AbsoluteExpiration, options.AbsoluteExpirationRelativeToNow, options.SlidingExpiration);
        return grain.SetAsync(value, timing).WaitAsync(token);
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public Task RefreshAsync(string key, CancellationToken token = default)
    {
        var grain = Entry(key);
        token.ThrowIfCancellationRequested();
        return grain.RefreshAsync().WaitAsync(token);
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        var grain = Entry(key);
        token.ThrowIfCancellationRequested();
        return grain.RemoveAsync().WaitAsync(token);
    }

    private ICacheEntryGrain Entry(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > CacheEntryLimits.MaxKeyLength)
        {
            throw new ArgumentException($"Distributed cache keys are at most {CacheEntryLimits.MaxKeyLength} characters.", nameof(key));
        }

        // Checked here to name the argument; hashing the key refuses it too, for callers that do not come through here.
        if (!IsValidUtf16(key))
        {
            throw new ArgumentException("Distributed cache keys must be valid UTF-16 text: this one has a lone surrogate.", nameof(key));
        }

        return grains.GetCacheEntryGrain(key);
    }

    private static bool IsValidUtf16(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out _, out var used) != OperationStatus.Done)
            {
                return false;
            }

            text = text[used..];
        }

        return true;
    }
}
