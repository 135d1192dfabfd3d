using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;
using OrleansSessions.Common;

namespace OrleansSessions.Client.Tls;

public static partial class ClusterTlsClientBuilderExtensions
{
    /// <summary>
    /// With <c>Orleans:Tls</c> set (<see cref="ClusterTlsSettings"/>), the client reaches the gateways over TLS only,
    /// presents its certificate (clientAuth) and accepts only gateways with a silo certificate of the configured
    /// authorities. Without it, the client logs at start that its connections are plaintext. An invalid section throws
    /// here, before the host starts. Silos and clients of one cluster must agree: all with TLS, or none.
    /// </summary>
    public static IClientBuilder UseOrleansSessionsTls(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        var credentials = ClusterTlsCredentials.Load(configuration, ClusterPeer.Client);
        client.Services.AddSingleton<ILifecycleParticipant<IClusterClientLifecycle>>(sp => new StartLog(
            credentials, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterTlsClientBuilderExtensions))));
        if (credentials is null)
        {
            return client;
        }

        client.Services.AddSingleton(credentials);
        client.Services.AddOptions<ClientConnectionOptions>().Configure<ILoggerFactory>((options, loggers) =>
        {
            var logger = loggers.CreateLogger(typeof(ClusterTlsClientBuilderExtensions));
            options.ConfigureConnection(c => c.UseClientTls(new TlsOptions
            {
                LocalCertificate = credentials.Certificate,
                ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
                RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,

                // Only the configured authorities decide; the platform's verdict (system store, host name) is not asked.
                RemoteCertificateValidation = (certificate, chain, _) => credentials.Accepts(certificate, chain, ClusterPeer.Silo, logger),
            }));
        });
        return client;
    }

    private sealed partial class StartLog(ClusterTlsCredentials? credentials, ILogger logger) : ILifecycleParticipant<IClusterClientLifecycle>
    {
        public void Participate(IClusterClientLifecycle lifecycle) => lifecycle.Subscribe(nameof(ClusterTlsClientBuilderExtensions), ServiceLifecycleStage.First, _ =>
        {
            if (credentials is null)
            {
                LogOff(logger);
            }
            else
            {
                LogOn(logger, credentials.AuthorityNames, credentials.Certificate.Subject, credentials.Certificate.NotAfter);
            }

            return Task.CompletedTask;
        });

        [LoggerMessage(
            Level = LogLevel.Warning,
            Message = "TLS is off: this client's connections to the cluster's gateways are plaintext and unauthenticated. " +
                "Set Orleans:Tls when the silos require it, or keep the gateway ports on a private network.")]
        private static partial void LogOff(ILogger logger);

        [LoggerMessage(
            Level = LogLevel.Information,
            Message = "TLS is on: this client connects only to gateways with a certificate of {Authorities}, and presents {Subject}, valid until {NotAfter:u}.")]
        private static partial void LogOn(ILogger logger, string authorities, string subject, DateTime notAfter);
    }
}
