using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;
using OrleansSessions.Client.Tls;
using OrleansSessions.Client.Tokens;
using OrleansSessions.Hosting;

namespace OrleansSessions.ApiHost.Infrastructure;

internal static class ClusterConnectionExtensions
{
    /// <summary>The host's <c>Orleans:Mode</c>.</summary>
    public static HostingMode Mode(this WebApplicationBuilder builder)
        => builder.Configuration.GetSection(ClusterSettings.SectionName).GetValue("Mode", HostingMode.Embedded);

    /// <summary>Wires the grain access of the chosen <see cref="HostingMode"/> and the readiness checks that go with it.</summary>
    public static WebApplicationBuilder AddClusterConnection(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ClusterSettings.SectionName);
        var mode = builder.Mode();
        var settings = section.Get<ClusterSettings>() ?? new ClusterSettings();
        var health = builder.Services.AddHealthChecks()
            .AddCheck<ClusterHealthCheck>("cluster", tags: [HealthTags.Ready]);

        if (mode == HostingMode.Embedded)
        {
            builder.AddEmbeddedPaymentGateway();
            builder.UseOrleans(silo => silo.AddOrleansSessionsEmbedded(settings));
            builder.Services.AddSingleton<IClusterAvailability, InProcessSilo>();
            builder.Services.AddHostedService<EmbeddedSilo>();
            return builder;
        }

        var connectionString = builder.Configuration.GetConnectionString(ClusterSettings.ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"Cluster mode needs the connection string 'ConnectionStrings:{ClusterSettings.ConnectionStringName}'.");

        // Several API hosts serve one estate: an ephemeral per-process key would make their tokens fail at each other.
        if (builder.Configuration.GetSection(SessionTokenOptions.SectionName).Get<SessionTokenOptions>() is not { HasConfiguredKeys: true })
        {
            throw new InvalidOperationException(
                $"Cluster mode needs '{SessionTokenOptions.SectionName}:{nameof(SessionTokenOptions.SigningKeys)}' (and '{SessionTokenOptions.SectionName}:{nameof(SessionTokenOptions.ActiveKeyId)}') " +
                $"or '{SessionTokenOptions.SectionName}:{nameof(SessionTokenOptions.SigningKey)}' (base64, at least {SessionTokenOptions.MinKeyBytes} bytes), shared by every API host.");
        }

        health.AddNpgSql(connectionString, name: "database", tags: [HealthTags.Ready], timeout: TimeSpan.FromSeconds(3));
        if (mode == HostingMode.CoHosted)
        {
            // A silo of the cluster in this process: grain calls skip the gateway hop (measured in bench/results).
            builder.UseOrleans(silo => silo.AddOrleansSessionsCluster(builder.Configuration));
            builder.Services.AddSingleton<IClusterAvailability, InProcessSilo>();
            return builder;
        }

        var hostedBefore = builder.Services.Count(d => d.ServiceType == typeof(IHostedService));
        builder.Services.AddOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = settings.GatewayListRefreshPeriod);

            // An HTTP caller should hear back (503) well before its own timeout when a silo dies mid-request.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = settings.ResponseTimeout);
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterSettings.Invariant;
                o.ConnectionString = connectionString;
            });
            client.Services.AddSingleton<IClientConnectionRetryFilter, ReconnectForeverFilter>();
            client.UseOrleansSessionsTls(builder.Configuration);
        });

        // The client registers itself as a hosted service whose start blocks until a gateway answers;
        // ClusterConnection starts it in the background instead.
        var clientHostedServices = builder.Services.Where(d => d.ServiceType == typeof(IHostedService)).Skip(hostedBefore).ToList();
        foreach (var descriptor in clientHostedServices)
        {
            builder.Services.Remove(descriptor);
        }

        builder.Services.AddSingleton<ClusterConnection>();
        builder.Services.AddSingleton<IClusterAvailability>(sp => sp.GetRequiredService<ClusterConnection>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterConnection>());
        return builder;
    }
}
