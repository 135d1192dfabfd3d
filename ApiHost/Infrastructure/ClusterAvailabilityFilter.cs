namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>Answers 503 with Retry-After before a grain call is attempted while the cluster is not connected.</summary>
internal sealed class ClusterAvailabilityFilter(IClusterAvailability availability, IProblemDetailsService problems) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (availability.IsAvailable)
        {
            return await next(context);
        }

        await Problems.WriteUnavailableAsync(problems, context.HttpContext, OutageOutcome.NotApplied);
        return Results.Empty;
    }
}
