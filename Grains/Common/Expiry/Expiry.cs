namespace OrleansSessions.Common.Expiry;

/// <summary>
/// Registers grains with the expiry sweep. A grain is filed in a bucket of the minute its deadline falls in, in one
/// of <see cref="Partitions"/> partitions; each partition's sweeper (one reminder each) walks its minutes as they
/// pass. A partition's minute has <see cref="Shards"/> buckets, the grain's hash choosing one, so that the grains
/// filing for one minute (every session created in the same minute with the same timeout) do not all wait in line on
/// one bucket grain, each rewriting one ever larger set. A deadline may be registered early — the grain answers its
/// later deadline and is filed again — but never late, so a grain is swept at most about two minutes after it expires.
/// </summary>
public static class Expiry
{
    public const int Partitions = 8;

    /// <summary>Buckets per partition and minute. An empty one costs an activation and a read when its minute is swept.</summary>
    public const int Shards = 8;

    /// <summary>Files <paramref name="grain"/> for <paramref name="deadline"/>, in a later bucket than asked when that one was swept already.</summary>
    /// <param name="notBeforeMinute">The earliest bucket minute to use (a bucket re-filing from its own sweep passes the next minute).</param>
    public static async Task ScheduleAsync(IGrainFactory grains, GrainId grain, DateTimeOffset deadline, long notBeforeMinute = long.MinValue)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var minute = Math.Max(MinuteOf(deadline), notBeforeMinute);

        // Each refusal names a minute the sweeper has not reached; it moves on at most a minute at a time.
        while (await grains.GetGrain<IExpiryBucketGrain>(BucketKey(grain, minute)).AddAsync(grain) is { } open)
        {
            minute = Math.Max(open, minute + 1);
        }
    }

    /// <summary>Sweeps every bucket of a partition's minute, all at once; throws when any of them failed (each is safe to sweep again).</summary>
    public static Task SweepMinuteAsync(IGrainFactory grains, int partition, long minute)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return Task.WhenAll(Enumerable.Range(0, Shards).Select(shard => grains.GetGrain<IExpiryBucketGrain>(BucketKey(partition, minute, shard)).SweepAsync()));
    }

    public static int PartitionOf(GrainId grain) => (int)((uint)grain.GetUniformHashCode() % Partitions);

    /// <summary>The grain's bucket within its partition's minute (other bits of the hash than the partition's).</summary>
    public static int ShardOf(GrainId grain) => (int)((uint)grain.GetUniformHashCode() / Partitions % Shards);

    /// <summary>The bucket minute of a deadline: the minute it falls in, so a bucket is swept once its minute is over.</summary>
    public static long MinuteOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / 60;

    /// <summary>The bucket <paramref name="grain"/> is filed in for <paramref name="minute"/>.</summary>
    public static string BucketKey(GrainId grain, long minute) => BucketKey(PartitionOf(grain), minute, ShardOf(grain));

    /// <summary>
    /// <c>{partition}/{minute}</c> for shard 0 (the key buckets had before there were shards, so those stored then are
    /// swept as shard 0), <c>{partition}/{minute}/{shard}</c> for the others.
    /// </summary>
    public static string BucketKey(int partition, long minute, int shard)
        => shard == 0 ? $"{partition}/{minute}" : $"{partition}/{minute}/{shard}";

    /// <summary>The partition and minute of a bucket key.</summary>
    public static (int Partition, long Minute) ParseBucketKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parts = key.Split('/');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
