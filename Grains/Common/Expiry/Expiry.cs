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

    /// <summary>Files <paramref name="grain"/> for <paramref name="deadline"/>, in a later bucket than asked when that one was swept already.</summary>
    /// <param name="notBeforeMinute">The earliest bucket minute to use (a bucket re-filing from its own sweep passes the next minute).</param>
    public static async Task ScheduleAsync(IGrainFactory grains, GrainId grain, DateTimeOffset deadline, long notBeforeMinute = long.MinValue)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var partition = PartitionOf(grain);
        var minute = Math.Max(MinuteOf(deadline), notBeforeMinute);

        // Each refusal names a minute the sweeper has not reached; it moves on at most a minute at a time.
        while (await grains.GetGrain<IExpiryBucketGrain>(BucketKey(partition, minute)).AddAsync(grain) is { } open)
        {
            minute = Math.Max(open, minute + 1);
        }
    }

    public static int PartitionOf(GrainId grain) => (int)((uint)grain.GetUniformHashCode() % Partitions);

    /// <summary>The bucket minute of a deadline: the minute it falls in, so a bucket is swept once its minute is over.</summary>
    public static long MinuteOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / 60;

    public static string BucketKey(int partition, long minute) => $"{partition}/{minute}";

    /// <summary>The partition and minute of a bucket key.</summary>
    public static (int Partition, long Minute) ParseBucketKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (int.Parse(key.AsSpan(0, slash), System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(key.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture));
    }
}
