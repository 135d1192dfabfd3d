using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;

namespace OrleansSessions.Sessions;

public sealed partial class CacheEntryGrain(
    [PersistentState(CacheEntryGrain.StateName, StorageNames.State)] IPersistentState<CacheEntryState> entry,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<CacheEntryGrain> logger)
    : ReleasedWhenEmptyGrain(entry), ICacheEntryGrain
{
    public const string StateName = "sessions.cache-entry";

    /// <summary>A read's slide is stored once it has moved the deadline by more than this fraction of the sliding window.</summary>
    public const double SlidePersistFraction = 0.25;

    /// <summary>Last access in memory: reads slide it without writing; it is stored now and then (see <see cref="Touch"/>).</summary>
    private DateTimeOffset lastAccess;

    /// <summary>The earliest deadline this activation filed with the expiry sweep; a later deadline needs no new filing.</summary>
    private DateTimeOffset? filedFor;

    private DeferredWrite? slideWriter;

    private bool Exists => entry.RecordExists && entry.State.Value is not null;

    private DateTimeOffset? Deadline => entry.State.ExpiresAt(lastAccess);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        lastAccess = entry.State.LastAccessAt;
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A slide not yet stored would otherwise be lost, ending the entry up to a quarter window early.
        if (!Exists || entry.State.SlidingExpiration is null || lastAccess <= entry.State.LastAccessAt)
        {
            return;
        }

        // Best effort: deactivation must not fail over it (the silo may be shutting down).
        try
        {
            await TryPersistSlideAsync();
        }
        catch (Exception e)
        {
            LogSlideLostOnDeactivation(logger, this.GetPrimaryKeyString(), e.GetType().Name, e.Message);
        }
    }

    public async Task<byte[]?> GetAsync()
    {
        if (!await IsAliveAsync())
        {
            return null;
        }

        Touch();
        return entry.State.Value;
    }

    public async Task RefreshAsync()
    {
        if (await IsAliveAsync())
        {
            Touch();
        }
    }

    public async Task SetAsync(byte[] value, CacheEntryTiming timing)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(timing);

        // Checked here too, not only in the client library: the grain is what every caller shares.
        if (value.Length > CacheEntryLimits.MaxValueBytes)
        {
            throw new CacheValueTooLargeException(value.Length);
        }

        if (timing.SlidingExpiration <= TimeSpan.Zero || timing.AbsoluteExpirationRelativeToNow <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timing), timing, "Relative and sliding expirations must be positive.");
        }

        var now = time.GetUtcNow();
        var next = new CacheEntryState
        {
            Value = value,

            // The earlier of the two wins, as in MemoryDistributedCache: a relative expiration never keeps an entry past
            // the date the caller also set.
            AbsoluteExpiresAt = Earlier(timing.AbsoluteExpiration, now + timing.AbsoluteExpirationRelativeToNow),
            SlidingExpiration = timing.SlidingExpiration,
            LastAccessAt = now,
        };
        var deadline = next.ExpiresAt(now);
        if (deadline <= now)
        {
            await RemoveAsync();
            return;
        }

        // Filed before the value is stored: the sweep may then find an entry not stored (it answers null), but never
        // a stored entry it does not know about.
        if (deadline is { } due && !(filedFor <= due))
        {
            await Expiry.ScheduleAsync(GrainFactory, this.GetGrainId(), due);
            filedFor = due;
        }

        await this.CommitAsync(entry, next);
        lastAccess = now;
    }

    public Task RemoveAsync() => this.ClearAsync(entry);

    public async Task<DateTimeOffset?> ExpireIfDueAsync()
    {
        // No value, or a value that never expires: nothing for the sweep to come back for.
        if (!Exists || Deadline is not { } deadline)
        {
            filedFor = null;
            return null;
        }

        if (time.GetUtcNow() < deadline)
        {
            // The sweep files the entry again for this deadline.
            filedFor = deadline;
            return deadline;
        }

        await this.ClearAsync(entry);
        filedFor = null;
        return null;
    }

    private static DateTimeOffset? Earlier(DateTimeOffset? first, DateTimeOffset? second)
        => first is { } a && second is { } b ? (a < b ? a : b) : first ?? second;

    /// <summary>Alive, or deletes it now when its deadline has passed (expired entries read as null at once).</summary>
    private async Task<bool> IsAliveAsync()
    {
        if (!Exists)
        {
            return false;
        }

        if (Deadline is not { } deadline || time.GetUtcNow() < deadline)
        {
            return true;
        }

        try
        {
            await this.ClearAsync(entry);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Still expired by its deadline, so it reads as null; the next access or the sweep deletes it.
            LogClearFailed(logger, this.GetPrimaryKeyString(), e.Message);
        }

        return false;
    }

    private void Touch()
    {
        lastAccess = time.GetUtcNow();
        if (entry.State.SlidingExpiration is { } window && lastAccess - entry.State.LastAccessAt > window * SlidePersistFraction)
        {
            (slideWriter ??= new(this, TryPersistSlideAsync)).Request();
        }
    }

    private async Task TryPersistSlideAsync()
    {
        if (!Exists || lastAccess <= entry.State.LastAccessAt)
        {
            return;
        }

        try
        {
            await this.CommitAsync(entry, entry.State with { LastAccessAt = lastAccess }, reloadWhenUnknown: false);
        }
        catch (Exception e) when (e is StoreUnavailableException or StoreOutcomeUnknownException or InconsistentStateException)
        {
            // Availability first: the slide stays in memory and is tried again after a later read.
            LogSlideNotPersisted(logger, this.GetPrimaryKeyString(), e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete expired cache entry {KeyHash}; it reads as absent and is retried: {Reason}")]
    private static partial void LogClearFailed(ILogger logger, string keyHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store the slide of cache entry {KeyHash}; kept in memory: {Reason}")]
    private static partial void LogSlideNotPersisted(ILogger logger, string keyHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache entry {KeyHash}: slide not stored on deactivation; the stored deadline stays earlier: {ExceptionType}: {Reason}")]
    private static partial void LogSlideLostOnDeactivation(ILogger logger, string keyHash, string exceptionType, string reason);
}
