namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>The in-process silo of the embedded mode: says at start that it keeps nothing.</summary>
internal sealed partial class EmbeddedSilo(ILogger<EmbeddedSilo> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogNotDurable(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Embedded mode: an in-process silo keeps all state in memory; it is NOT durable and is lost when this process stops. " +
        "Set Orleans:Mode=Cluster and ConnectionStrings:Orleans to use the PostgreSQL cluster.")]
    private static partial void LogNotDurable(ILogger logger);
}

/// <summary>A silo in this process (embedded or co-hosted mode): available once the host, and so the silo, has started.</summary>
internal sealed class InProcessSilo(IHostApplicationLifetime lifetime) : IClusterAvailability
{
    public bool IsAvailable => lifetime.ApplicationStarted.IsCancellationRequested;
}
