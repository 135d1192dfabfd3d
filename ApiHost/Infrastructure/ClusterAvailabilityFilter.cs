namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>Answers 503 with Retry-After before a grain call is attempted while the cluster is not connected.</summary>
internal sealed class ClusterAvailabilityFilter(IClusterAvailability availability, IProblemDetailsService problems) : IEndpointFilter
{
    // Not async on the way through: every grain-backed request passes here.
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        => availability.IsAvailable ? next(context) : RefuseAsync(context.HttpContext);

    private async ValueTask<object?> RefuseAsync(HttpContext http)
    {
        await Problems.WriteUnavailableAsync(problems, http, OutageOutcome.NotApplied);
        return Results.Empty;
    }
}
