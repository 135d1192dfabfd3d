using OrleansSessions.Payments;
using OrleansSessions.PaymentGateway;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// The embedded mode's payment gateway: the fake gateway (<c>PaymentGateway/</c>) on a free loopback port of this
/// process, which the in-process silo's payment grains call over HTTP like a real one. Used only while
/// <c>Payments:GatewayUrl</c> is not set; its ledger lives and dies with the process.
/// </summary>
internal sealed partial class EmbeddedPaymentGateway(ILoggerFactory loggerFactory, ILogger<EmbeddedPaymentGateway> logger)
    : IHostedService, IAsyncDisposable
{
    private WebApplication? gateway;

    /// <summary>The gateway's address, once started.</summary>
    public Uri Url { get; private set; } = null!;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The arguments beat ASPNETCORE_URLS, which names this host's own address.
        gateway = FakePaymentGateway.Create(["--urls", "http://127.0.0.1:0"], builder =>
        {
            // Its lines go through this host's logging and settings; its start-up lines would read as this host's own.
            builder.Logging.ClearProviders().AddProvider(new HostLogging(loggerFactory)).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None);
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        });
        await gateway.StartAsync(cancellationToken);
        Url = new Uri(gateway.Urls.Single());
        LogStarted(logger, Url);
    }

    public Task StopAsync(CancellationToken cancellationToken) => gateway?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => gateway?.DisposeAsync() ?? ValueTask.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded mode: payments go to the in-process fake payment gateway at {Url} (ledger: /v1/ledger)")]
    private static partial void LogStarted(ILogger logger, Uri url);

    private sealed class HostLogging(ILoggerFactory host) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => host.CreateLogger(categoryName);

        public void Dispose()
        {
            // The host's logging is the host's to dispose.
        }
    }
}

internal static class EmbeddedPaymentGatewayExtensions
{
    /// <summary>Hosts the fake gateway and points the payment grains at it, unless <c>Payments:GatewayUrl</c> names another gateway.</summary>
    public static WebApplicationBuilder AddEmbeddedPaymentGateway(this WebApplicationBuilder builder)
    {
        if (!string.IsNullOrEmpty(builder.Configuration[$"{PaymentsOptions.SectionName}:{nameof(PaymentsOptions.GatewayUrl)}"]))
        {
            return builder;
        }

        // Registered before the silo, so it starts first; grains read the address only when they first call it.
        builder.Services.AddSingleton<EmbeddedPaymentGateway>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedPaymentGateway>());
        builder.Services.AddOptions<PaymentsOptions>().PostConfigure<EmbeddedPaymentGateway>((o, gateway) => o.GatewayUrl = gateway.Url);
        return builder;
    }
}
