namespace OrleansSessions.Common.Expiry;

/// <summary>
/// Registers grains with the expiry sweep. A grain is filed in the bucket of the minute its deadline falls in, in one
/// of <see cref="Partitions"/> partitions; each partition's sweeper (one reminder each) walks its buckets as their
/// minute passes. A deadline may be registered early — the grain answers its later deadline and is filed again — but
/// never late, so a grain is swept at most about two minutes after it expires.
/// </summary>
public static class Expiry
{
    public const int Partitions = 8;

    public static Task ScheduleAsync(IGrainFactory grains, GrainId grain, DateTimeOffset deadline)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var partition = (int)((uint)grain.GetUniformHashCode() % Partitions);
        return grains.GetGrain<IExpiryBucketGrain>(BucketKey(partition, MinuteOf(deadline))).AddAsync(grain);
    }

    /// <summary>The bucket minute of a deadline: the minute it falls in, so a bucket is swept once its minute is over.</summary>
    public static long MinuteOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / 60;

    public static string BucketKey(int partition, long minute) => $"{partition}/{minute}";
}
