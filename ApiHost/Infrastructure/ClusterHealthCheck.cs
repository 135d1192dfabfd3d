using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>Ready when grain calls can be made and at least one silo answers as active.</summary>
internal sealed class ClusterHealthCheck(IClusterAvailability availability, IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!availability.IsAvailable)
        {
            return HealthCheckResult.Unhealthy("Not connected to the cluster.");
        }

        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken).WaitAsync(Timeout, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s).")
                : HealthCheckResult.Unhealthy("No active silo.");
        }
        catch (Exception e) when (ClusterOutage.IsOutage(e))
        {
            return HealthCheckResult.Unhealthy("The cluster does not answer.", e);
        }
    }
}
