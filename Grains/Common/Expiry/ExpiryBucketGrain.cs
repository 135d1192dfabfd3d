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
    /// <summary>Set once this activation has swept the bucket; a later add is refused without asking the sweeper.</summary>
    private bool swept;

    private (int Partition, long Minute) Bucket => Expiry.ParseBucketKey(this.GetPrimaryKeyString());

    public async Task<long?> AddAsync(GrainId grain)
    {
        if (swept)
        {
            return Bucket.Minute + 1;
        }

        if (bucket.State.Grains.Contains(grain))
        {
            return null;
        }

        // A bucket the sweeper has passed is never swept again: whatever is filed there would be forgotten.
        var (partition, minute) = Bucket;
        if (await GrainFactory.GetGrain<IExpirySweeperGrain>(partition).LastSweptMinuteAsync() is { } last && last >= minute)
        {
            return last + 1;
        }

        await this.CommitAsync(bucket, bucket.State with { Grains = bucket.State.Grains.Add(grain) });
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

        await this.ClearAsync(bucket);
        swept = true;
        DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep of a {GrainType} failed, retrying later: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string grainType, string reason);
}
