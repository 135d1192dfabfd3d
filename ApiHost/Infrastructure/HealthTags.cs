namespace OrleansSessions.ApiHost.Infrastructure;

internal static class HealthTags
{
    /// <summary>Checks that decide readiness (<c>/health/ready</c>); liveness runs none.</summary>
    public const string Ready = "ready";
}
