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
    public async Task AddAsync(GrainId grain)
    {
        if (!bucket.State.Grains.Contains(grain))
        {
            await this.CommitAsync(bucket, bucket.State with { Grains = bucket.State.Grains.Add(grain) });
        }
    }

    public async Task SweepAsync()
    {
        foreach (var grain in bucket.State.Grains)
        {
            DateTimeOffset? next;
            try
            {
                next = await GrainFactory.GetGrain<IExpiringGrain>(grain).ExpireIfDueAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Filed again a minute on, so one failing grain never holds up the rest of the partition.
                LogSweepFailed(logger, grain.Type.ToString(), LogText.Escape(e.Message));
                next = time.GetUtcNow().AddMinutes(1);
            }

            if (next is { } later)
            {
                await Expiry.ScheduleAsync(GrainFactory, grain, later);
            }
        }

        await bucket.ClearStateAsync();
        DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep of a {GrainType} failed, retrying later: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string grainType, string reason);
}
