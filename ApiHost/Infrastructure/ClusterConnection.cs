using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// Connects the Orleans client in the background. The client's own hosted service would block host start-up until a
/// gateway answers; started from here instead, the host listens (health checks, 503s) while the cluster is away, and
/// <see cref="ReconnectForeverFilter"/> keeps trying until a silo appears in the membership table.
/// </summary>
internal sealed partial class ClusterConnection(IClusterClient client, ILogger<ClusterConnection> logger)
    : BackgroundService, IClusterAvailability
{
    private volatile bool connected;

    public bool IsAvailable => connected;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (connected)
        {
            await ((IHostedService)client).StopAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await ((IHostedService)client).StartAsync(stoppingToken);
        connected = true;
        LogConnected(logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the cluster.")]
    private static partial void LogConnected(ILogger logger);
}

/// <summary>Retries the first connection to the cluster with a capped backoff until the host stops.</summary>
internal sealed partial class ReconnectForeverFilter(ILogger<ReconnectForeverFilter> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private int attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref attempts);
        LogRetrying(logger, attempt, LogText.Escape(exception.Message));
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250.0 * attempt)), cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster not reachable (attempt {Attempt}): {Reason} Retrying; grain-backed endpoints answer 503 meanwhile.")]
    private static partial void LogRetrying(ILogger logger, int attempt, string reason);
}
