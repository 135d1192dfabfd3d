using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OrleansSessions.ApiHost.Carts;
using OrleansSessions.ApiHost.Inventory;
using OrleansSessions.ApiHost.Orders;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Client.Tokens;
using Scalar.AspNetCore;

namespace OrleansSessions.ApiHost.Infrastructure;

public static class ApiHostExtensions
{
    /// <summary>Request bodies larger than this (<c>Api:MaxRequestBodyBytes</c>) are refused with 413.</summary>
    /// <remarks>Above the default session budget (256 KiB), so that budget is what a large session write runs into.</remarks>
    private const long DefaultMaxRequestBodyBytes = 320 * 1024;

    public static WebApplicationBuilder AddOrleansSessionsApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddClusterConnection();
        builder.AddApiSecurity(builder.Mode());
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemWording.Complete);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddOrleansSessionTokens(builder.Configuration);

        // Binding failures (malformed JSON, wrong types) throw, so ProblemExceptionHandler can name the field.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        var maxBody = builder.Configuration.GetValue("Api:MaxRequestBodyBytes", DefaultMaxRequestBodyBytes);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = maxBody;

            // No server banner: nothing tells a prober which server and version answered.
            k.AddServerHeader = false;
        });

        // Numbers are numbers: web defaults would also read "60" as 60 and document every number as integer-or-string.
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
        });
        builder.Services.AddSingleton<SessionResponseJson>();
        builder.Services.AddApiContract();
        return builder;
    }

    public static WebApplication MapOrleansSessionsApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // First, so that every answer carries the correlation id, the exception handler's problems included.
        app.UseCorrelationId();
        app.UseSecurityHeaders();
        app.UseConnectionCloseForOversizeBodies();
        app.UseJsonAnswers();
        app.UseExceptionHandler();
        app.UseDotSegmentGuard();
        app.UseStatusCodePages();
        app.UseApiSecurity();

        // The API reference: on in Development, elsewhere only when configured on (it maps the whole attack surface).
        if (app.Configuration.GetValue("Api:Reference", app.Environment.IsDevelopment()))
        {
            app.MapOpenApi().AllowAnonymous().DisableRateLimiting();
            app.MapScalarApiReference().AllowAnonymous().DisableRateLimiting();
        }

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready) })
            .AllowAnonymous().DisableRateLimiting();

        var grainBacked = app.MapGroup("").AddEndpointFilter<ClusterAvailabilityFilter>().ProducesUnavailable();
        grainBacked.MapUserCarts();
        grainBacked.MapSessionCarts();
        grainBacked.MapInventory();
        grainBacked.MapOrders();
        grainBacked.MapAdmin();
        grainBacked.MapSessions();
        grainBacked.MapUserSessions();
        grainBacked.MapSessionTokens();
        return app;
    }
}
