namespace OrleansSessions.Sessions;

/// <summary>What to do when a user already has <see cref="SessionOptions.MaxSessionsPerUser"/> live sessions.</summary>
public enum SessionLimitPolicy
{
    /// <summary>Refuse the new session (409).</summary>
    Reject,

    /// <summary>End the user's least recently used session to make room.</summary>
    EvictOldest,
}

/// <summary>The <c>Sessions</c> configuration section, read by silos.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    public TimeSpan DefaultIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan MinIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxIdleTimeout { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan DefaultAbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);

    public TimeSpan MaxAbsoluteLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A read's slide of the idle deadline is persisted once it has moved by this fraction of the idle timeout.</summary>
    public double SlidePersistFraction { get; set; } = 0.25;

    public int MaxValueBytes { get; set; } = 16 * 1024;

    public int MaxSessionBytes { get; set; } = 256 * 1024;

    public int MaxKeys { get; set; } = 256;

    public int MaxSessionsPerUser { get; set; } = 10;

    public SessionLimitPolicy LimitPolicy { get; set; } = SessionLimitPolicy.Reject;
}
