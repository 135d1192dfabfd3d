using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Connections.Security;
using OrleansSessions.Common;

namespace OrleansSessions.Hosting;

/// <summary>TLS on a silo's silo and gateway ports, from <c>Orleans:Tls</c> (<see cref="ClusterTlsSettings"/>).</summary>
public static partial class ClusterTls
{
    /// <summary>
    /// With <c>Orleans:Tls</c> set, every connection to and from this silo is TLS, and the peer must present a
    /// certificate of the configured authorities: a silo's (serverAuth and clientAuth) on the silo port and towards other
    /// silos, a client's (clientAuth) on the gateway port. Without it, the silo logs at start that its ports speak
    /// plaintext. An invalid section throws here, before the silo starts.
    /// </summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var credentials = ClusterTlsCredentials.Load(configuration, ClusterPeer.Silo);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new StartLog(
            credentials, sp.GetRequiredService<IOptions<EndpointOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterTls))));
        if (credentials is null)
        {
            return silo;
        }

        silo.Services.AddSingleton(credentials);
        silo.Services.AddOptions<SiloConnectionOptions>().Configure<ILoggerFactory>((options, loggers) =>
        {
            var logger = loggers.CreateLogger(typeof(ClusterTls));
            options.ConfigureSiloInboundConnection(c => c.UseServerTls(Require(credentials, ClusterPeer.Silo, logger)));
            options.ConfigureGatewayInboundConnection(c => c.UseServerTls(Require(credentials, ClusterPeer.Client, logger)));
            options.ConfigureSiloOutboundConnection(c => c.UseClientTls(Require(credentials, ClusterPeer.Silo, logger)));
        });
        return silo;
    }

    /// <summary>Both ends present a certificate, and only <see cref="ClusterTlsCredentials.Accepts"/> decides on the peer's.</summary>
    private static TlsOptions Require(ClusterTlsCredentials credentials, ClusterPeer peer, ILogger logger) => new()
    {
        LocalCertificate = credentials.Certificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        RemoteCertificateValidation = (certificate, chain, _) => credentials.Accepts(certificate, chain, peer, logger),
    };

    private sealed partial class StartLog(ClusterTlsCredentials? credentials, EndpointOptions endpoints, ILogger logger)
        : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(nameof(ClusterTls), ServiceLifecycleStage.First, _ =>
        {
            if (credentials is null)
            {
                LogOff(logger, endpoints.SiloPort, endpoints.GatewayPort);
            }
            else
            {
                LogOn(logger, endpoints.SiloPort, endpoints.GatewayPort, credentials.AuthorityNames, credentials.Certificate.Subject, credentials.Certificate.NotAfter);
            }

            return Task.CompletedTask;
        });

        [LoggerMessage(
            Level = LogLevel.Warning,
            Message = "TLS is off: silo port {SiloPort} and gateway port {GatewayPort} speak plaintext, unauthenticated Orleans protocol; " +
                "whoever reaches them can join the cluster and call any grain. Set Orleans:Tls, or keep these ports on a private network.")]
        private static partial void LogOff(ILogger logger, int siloPort, int gatewayPort);

        [LoggerMessage(
            Level = LogLevel.Information,
            Message = "TLS is on: silo port {SiloPort} and gateway port {GatewayPort} accept only peers with a certificate of {Authorities}; " +
                "this silo presents {Subject}, valid until {NotAfter:u}.")]
        private static partial void LogOn(ILogger logger, int siloPort, int gatewayPort, string authorities, string subject, DateTime notAfter);
    }
}
