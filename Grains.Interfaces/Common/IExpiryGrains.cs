using Orleans.Concurrency;

namespace OrleansSessions.Common;

/// <summary>
/// The grains that expire registered as due within one minute, in one of a fixed number of partitions and, within
/// it, of a fixed number of shards (key: <c>{partition}/{minute}</c> for shard 0, else <c>{partition}/{minute}/{shard}</c>;
/// minutes since the Unix epoch).
/// </summary>
[Alias("common.IExpiryBucketGrain")]
public interface IExpiryBucketGrain : IGrainWithStringKey
{
    /// <summary>
    /// Files the grain here, unless this bucket's minute has been swept already (a clock running late, a deadline
    /// already past): then nothing is filed and the answer is the first minute still open.
    /// </summary>
    [Alias("add.v2")]
    Task<long?> AddAsync(GrainId grain);

    /// <summary>Asks every registered grain to expire if due; re-registers those whose deadline moved; then empties the bucket.</summary>
    [Alias("sweep")]
    Task SweepAsync();
}

/// <summary>One partition's sweeper: a single reminder per partition walks the due buckets, not a reminder per grain.</summary>
[Alias("common.IExpirySweeperGrain")]
public interface IExpirySweeperGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the partition's reminder is registered (idempotent; called at silo start).</summary>
    [Alias("start")]
    Task StartAsync();

    /// <summary>The last bucket minute swept completely. Reads memory only, so buckets may ask while a sweep is running.</summary>
    [ReadOnly]
    [AlwaysInterleave]
    [Alias("last-swept")]
    Task<long?> LastSweptMinuteAsync();

    /// <summary>Sweeps every bucket that ended before now and was not swept yet. The reminder calls it every minute.</summary>
    [Alias("sweep-due")]
    Task<int> SweepDueAsync();
}
