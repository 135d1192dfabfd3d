namespace OrleansSessions.Common.Expiry;

/// <summary>Registers every partition's sweeper reminder when a silo starts (idempotent across silos and restarts).</summary>
internal sealed class ExpirySweepStartup(IGrainFactory grains) : IStartupTask
{
    public Task Execute(CancellationToken cancellationToken)
        => Task.WhenAll(Enumerable.Range(0, Expiry.Partitions).Select(p => grains.GetGrain<IExpirySweeperGrain>(p).StartAsync()));
}
