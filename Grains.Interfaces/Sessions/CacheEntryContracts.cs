namespace OrleansSessions.Sessions;

/// <summary>
/// When a cache entry ends, as asked by an <c>IDistributedCache</c> caller. Whichever deadline comes first ends it; with
/// neither, the entry lives until it is removed. <see cref="AbsoluteExpirationRelativeToNow"/> is resolved by the grain
/// on the cluster's clock, so a service whose clock is off does not shorten or lengthen it.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.CacheEntryTiming")]
public sealed record CacheEntryTiming(
    [property: Id(0)] DateTimeOffset? AbsoluteExpiration,
    [property: Id(1)] TimeSpan? AbsoluteExpirationRelativeToNow,
    [property: Id(2)] TimeSpan? SlidingExpiration)
{
    /// <summary>No deadline: the entry stays until it is removed.</summary>
    public static CacheEntryTiming None { get; } = new(null, null, null);
}

/// <summary>Limits of the cluster-backed distributed cache, checked by the client library and again by the grain.</summary>
public static class CacheEntryLimits
{
    /// <summary>1 MiB per value: an entry lives in a grain's memory and in one database row.</summary>
    public const int MaxValueBytes = 1024 * 1024;

    /// <summary>Keys are grain keys; ASP.NET Core session keys are 36-character GUIDs.</summary>
    public const int MaxKeyLength = 256;
}

/// <summary>A value larger than <see cref="CacheEntryLimits.MaxValueBytes"/> was refused; nothing was written.</summary>
[GenerateSerializer]
[Alias("sessions.CacheValueTooLargeException")]
public sealed class CacheValueTooLargeException : Exception
{
    public CacheValueTooLargeException(long actual)
        : base($"A distributed cache value holds at most {CacheEntryLimits.MaxValueBytes} bytes; this one has {actual}. Nothing was written.")
    {
        Allowed = CacheEntryLimits.MaxValueBytes;
        Actual = actual;
    }

    public CacheValueTooLargeException()
    {
    }

    public CacheValueTooLargeException(string message)
        : base(message)
    {
    }

    public CacheValueTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public long Allowed { get; init; }

    [Id(1)]
    public long Actual { get; init; }
}
