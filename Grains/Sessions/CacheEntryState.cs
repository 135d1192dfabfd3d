namespace OrleansSessions.Sessions;

/// <summary>
/// One stored distributed-cache entry. Immutable: a change builds a new state, which replaces the old one only once it is
/// stored. <see cref="Value"/> is never mutated: Orleans copies it on the way in and out of the grain.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.CacheEntryState.v1")]
public sealed record CacheEntryState
{
    [Id(0)]
    public byte[]? Value { get; init; }

    /// <summary>The fixed deadline, resolved on the cluster's clock when the value was set.</summary>
    [Id(1)]
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }

    [Id(2)]
    public TimeSpan? SlidingExpiration { get; init; }

    /// <summary>The last access as last stored; reads slide it in memory and store it only now and then.</summary>
    [Id(3)]
    public DateTimeOffset LastAccessAt { get; init; }

    /// <summary>When the entry ends if it is last accessed at <paramref name="lastAccess"/>; null when it never does.</summary>
    public DateTimeOffset? ExpiresAt(DateTimeOffset lastAccess) => (AbsoluteExpiresAt, SlidingExpiration) switch
    {
        ({ } absolute, { } sliding) => lastAccess + sliding < absolute ? lastAccess + sliding : absolute,
        ({ } absolute, null) => absolute,
        (null, { } sliding) => lastAccess + sliding,
        (null, null) => null,
    };
}
