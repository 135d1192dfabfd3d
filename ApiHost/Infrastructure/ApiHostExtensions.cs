using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OrleansSessions.ApiHost.Carts;
using Scalar.AspNetCore;

namespace OrleansSessions.ApiHost.Infrastructure;

public static class ApiHostExtensions
{
    /// <summary>Request bodies larger than this (<c>Api:MaxRequestBodyBytes</c>) are refused with 413.</summary>
    private const long DefaultMaxRequestBodyBytes = 64 * 1024;

    public static WebApplicationBuilder AddOrleansSessionsApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddClusterConnection();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        // Binding failures (malformed JSON, wrong types) throw, so ProblemExceptionHandler can name the field.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        var maxBody = builder.Configuration.GetValue("Api:MaxRequestBodyBytes", DefaultMaxRequestBodyBytes);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxBody);
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapOrleansSessionsApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready) });

        var grainBacked = app.MapGroup("").AddEndpointFilter<ClusterAvailabilityFilter>();
        grainBacked.MapCarts();
        return app;
    }
}
