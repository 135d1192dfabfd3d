using Microsoft.Extensions.Logging;

namespace OrleansSessions.Common.Expiry;

/// <summary>
/// Registers every partition's sweeper reminder when a silo starts (idempotent across silos and restarts). A silo never
/// fails to start over it: a sweeper on another silo that dies meanwhile is asked again in the background (any other
/// silo's start asks too, and a registered reminder stays registered).
/// </summary>
internal sealed partial class ExpirySweepStartup(IGrainFactory grains, ILogger<ExpirySweepStartup> logger) : IStartupTask
{
    private const int Attempts = 10;
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);

    public async Task Execute(CancellationToken cancellationToken)
    {
        var failed = await StartAsync(Enumerable.Range(0, Expiry.Partitions));
        if (failed.Count > 0)
        {
            _ = RetryAsync(failed);
        }
    }

    private async Task RetryAsync(List<int> partitions)
    {
        for (var attempt = 1; attempt <= Attempts && partitions.Count > 0; attempt++)
        {
            await Task.Delay(Pause);
            partitions = await StartAsync(partitions);
        }
    }

    /// <summary>Starts the partitions' sweepers; returns those that could not be reached.</summary>
    private async Task<List<int>> StartAsync(IEnumerable<int> partitions)
    {
        var results = await Task.WhenAll(partitions.Select(async p =>
        {
            try
            {
                await grains.GetGrain<IExpirySweeperGrain>(p).StartAsync();
                return -1;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogNotStarted(logger, p, LogText.Escape(e.Message));
                return p;
            }
        }));
        return [.. results.Where(p => p >= 0)];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweeper {Partition} not started yet, will ask again: {Reason}")]
    private static partial void LogNotStarted(ILogger logger, int partition, string reason);
}
