using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansSessions.Common.Expiry;

[GenerateSerializer]
[Immutable]
[Alias("common.ExpiryBucketState.v1")]
public sealed record ExpiryBucketState
{
    [Id(0)]
    public ImmutableHashSet<GrainId> Grains { get; init; } = [];
}

public sealed partial class ExpiryBucketGrain(
    [PersistentState("common.expiry-bucket", StorageNames.State)] IPersistentState<ExpiryBucketState> bucket,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<ExpiryBucketGrain> logger)
    : Grain, IExpiryBucketGrain
{
    /// <summary>
    /// The last minute known swept when this bucket is closed to adds: its own minute once this activation swept it, or
    /// the sweeper's progress when it had passed this minute before the activation began.
    /// </summary>
    private long? closedUpTo;

    /// <summary>
    /// The sweeper said this minute was not swept yet. It is asked once per activation, not on every add (every session
    /// creation files one): from then on the only way this bucket gets swept is this activation's <see cref="SweepAsync"/>.
    /// </summary>
    private bool knownOpen;

    private (int Partition, long Minute) Bucket => Expiry.ParseBucketKey(this.GetPrimaryKeyString());

    public async Task<long?> AddAsync(GrainId grain)
    {
        if (!knownOpen && closedUpTo is null)
        {
            // A bucket the sweeper has passed is never swept again: whatever is filed there would be forgotten.
            var (partition, minute) = Bucket;
            var last = await GrainFactory.GetGrain<IExpirySweeperGrain>(partition).LastSweptMinuteAsync();
            if (last >= minute)
            {
                closedUpTo = last;
            }
            else
            {
                knownOpen = true;
            }
        }

        if (closedUpTo is { } closed)
        {
            return closed + 1;
        }

        if (!bucket.State.Grains.Contains(grain))
        {
            await this.CommitAsync(bucket, bucket.State with { Grains = bucket.State.Grains.Add(grain) });
        }

        return null;
    }

    public async Task SweepAsync()
    {
        var next = Bucket.Minute + 1;
        foreach (var grain in bucket.State.Grains)
        {
            DateTimeOffset? later;
            try
            {
                later = await GrainFactory.GetGrain<IExpiringGrain>(grain).ExpireIfDueAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Filed again a minute on, so one failing grain never holds up the rest of the partition.
                LogSweepFailed(logger, grain.Type.ToString(), LogText.Escape(e.Message));
                later = time.GetUtcNow().AddMinutes(1);
            }

            if (later is { } deadline)
            {
                // Never into this bucket (it is being swept: a call to itself would wait on its own turn).
                await Expiry.ScheduleAsync(GrainFactory, grain, deadline, notBeforeMinute: next);
            }
        }

        // Most buckets of a quiet minute never stored anything: ClearAsync then has nothing to delete.
        await this.ClearAsync(bucket);

        closedUpTo = Bucket.Minute;
        DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep of a {GrainType} failed, retrying later: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string grainType, string reason);
}
