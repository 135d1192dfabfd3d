using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace OrleansSessions.Common;

/// <summary>Who is at the other end of a cluster connection, and so what its certificate must be good for.</summary>
public enum ClusterPeer
{
    /// <summary>A silo: it listens (server authentication) and connects to other silos (client authentication).</summary>
    Silo,

    /// <summary>A client of the gateways (an API host, another .NET service): client authentication.</summary>
    Client,
}

/// <summary>
/// This host's certificate and the authorities its peers' certificates must chain to (<see cref="ClusterTlsSettings"/>),
/// loaded and checked once at start: a missing file, a key that does not match, or a certificate the configured
/// authorities did not issue stops the host with a message naming the setting, rather than leaving it to fail (or worse,
/// fall back to plaintext) at its first connection.
/// </summary>
public sealed partial class ClusterTlsCredentials : IDisposable
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection authorities;
    private readonly string[] allowedPeerNames;

    private ClusterTlsCredentials(X509Certificate2 certificate, X509Certificate2Collection authorities, string[] allowedPeerNames)
    {
        Certificate = certificate;
        this.authorities = authorities;
        this.allowedPeerNames = allowedPeerNames;
    }

    /// <summary>The certificate (with its private key) this host presents.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The subjects of the trusted authorities, for the start-up log.</summary>
    public string AuthorityNames => string.Join("; ", authorities.Select(a => a.Subject));

    /// <summary>
    /// The credentials of <c>Orleans:Tls</c>, or null when the section sets nothing (TLS off). Anything set makes TLS
    /// required: a partial or invalid section throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public static ClusterTlsCredentials? Load(IConfiguration configuration, ClusterPeer self)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ClusterTlsSettings.SectionName);
        if (!section.Exists())
        {
            return null;
        }

        var settings = section.Get<ClusterTlsSettings>() ?? new ClusterTlsSettings();
        if (settings.AllowedPeerNames.Any(string.IsNullOrWhiteSpace))
        {
            throw Invalid(nameof(ClusterTlsSettings.AllowedPeerNames), "lists an empty name");
        }

        var authorities = LoadAuthorities(ExistingFile(settings.CaPath, nameof(ClusterTlsSettings.CaPath)));
        X509Certificate2? certificate = null;
        try
        {
            certificate = LoadCertificate(settings);
            var credentials = new ClusterTlsCredentials(certificate, authorities, [.. settings.AllowedPeerNames]);
            credentials.CheckOwn(self);
            return credentials;
        }
        catch
        {
            certificate?.Dispose();
            foreach (var authority in authorities)
            {
                authority.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="peer"/> may be at the other end as <paramref name="expected"/>: issued by a configured
    /// authority, valid now, good for that role, and named in <c>AllowedPeerNames</c> when that is set. A refusal is
    /// logged with its reason. The platform's own verdict is not asked: it trusts the system store and expects a host
    /// name, while silos reach each other by the addresses in the membership table.
    /// </summary>
    public bool Accepts(X509Certificate2 peer, X509Chain? presented, ClusterPeer expected, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(logger);
        var refusal = Refusal(peer, presented, expected);
        if (refusal is null)
        {
            return true;
        }

        LogRefused(logger, expected, LogText.Escape(peer.Subject), peer.Thumbprint, LogText.Escape(peer.Issuer), refusal);
        return false;
    }

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var authority in authorities)
        {
            authority.Dispose();
        }
    }

    private string? Refusal(X509Certificate2 peer, X509Chain? presented, ClusterPeer expected)
    {
        if (!AllowsUsage(peer, expected))
        {
            return $"its extended key usage does not allow a {expected}";
        }

        if (ChainProblem(peer, presented) is { } problem)
        {
            return problem;
        }

        return allowedPeerNames.Length == 0 || allowedPeerNames.Any(name => peer.MatchesHostname(name))
            ? null
            : $"it names none of {ClusterTlsSettings.SectionName}:{nameof(ClusterTlsSettings.AllowedPeerNames)}";
    }

    private void CheckOwn(ClusterPeer self)
    {
        if (!Certificate.HasPrivateKey)
        {
            throw Invalid(nameof(ClusterTlsSettings.CertificatePath), $"the certificate {Certificate.Subject} comes without its private key");
        }

        if (!AllowsUsage(Certificate, self))
        {
            throw Invalid(
                nameof(ClusterTlsSettings.CertificatePath),
                $"the certificate {Certificate.Subject} is not good for a {self}: its extended key usage must include " +
                (self == ClusterPeer.Silo ? "both serverAuth and clientAuth" : "clientAuth"));
        }

        if (ChainProblem(Certificate, presented: null) is { } problem)
        {
            throw Invalid(nameof(ClusterTlsSettings.CertificatePath), $"the certificate {Certificate.Subject} is refused: {problem}");
        }
    }

    /// <summary>Builds the chain against the configured authorities only; the peer's own intermediates may help, the network may not.</summary>
    private string? ChainProblem(X509Certificate2 certificate, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        if (chain.Build(certificate))
        {
            return null;
        }

        var statuses = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
        return $"it does not chain to an authority of {ClusterTlsSettings.SectionName}:{nameof(ClusterTlsSettings.CaPath)} ({string.Join(", ", statuses)})";
    }

    /// <summary>A certificate without the extension is good for any use; with it, it must list what the role needs.</summary>
    private static bool AllowsUsage(X509Certificate2 certificate, ClusterPeer role)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (usages is null)
        {
            return true;
        }

        var listed = usages.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToHashSet();
        return listed.Contains(ClientAuthentication) && (role == ClusterPeer.Client || listed.Contains(ServerAuthentication));
    }

    private static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw Invalid(nameof(ClusterTlsSettings.CaPath), $"'{path}' is not a PEM file of certificates: {e.Message}", e);
        }

        return authorities.Count > 0
            ? authorities
            : throw Invalid(nameof(ClusterTlsSettings.CaPath), $"'{path}' holds no PEM certificate");
    }

    private static X509Certificate2 LoadCertificate(ClusterTlsSettings settings)
    {
        var path = ExistingFile(settings.CertificatePath, nameof(ClusterTlsSettings.CertificatePath));
        var keyPath = settings.KeyPath is null ? null : ExistingFile(settings.KeyPath, nameof(ClusterTlsSettings.KeyPath));
        var pem = Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains("-----BEGIN ", StringComparison.Ordinal);
        if (!pem && keyPath is not null)
        {
            throw Invalid(nameof(ClusterTlsSettings.KeyPath), $"is set, but '{path}' is a PKCS#12 file, which holds its own key");
        }

        try
        {
            return (pem, settings.CertificatePassword) switch
            {
                (true, null) => X509Certificate2.CreateFromPemFile(path, keyPath),
                (true, { } password) => X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath),
                _ => X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword),
            };
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // A key of another certificate is an ArgumentException; a malformed file a CryptographicException.
            throw Invalid(
                nameof(ClusterTlsSettings.CertificatePath),
                $"could not load a certificate and its private key from '{path}'{(keyPath is null ? "" : $" and '{keyPath}'")}: {e.Message}",
                e);
        }
    }

    private static string ExistingFile(string? path, string setting)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid(setting, "is missing (the section is partly set: TLS is on, and needs CertificatePath and CaPath)");
        }

        var full = Path.GetFullPath(path);
        return File.Exists(full) ? full : throw Invalid(setting, $"no file at '{full}'");
    }

    private static InvalidOperationException Invalid(string setting, string problem, Exception? inner = null)
        => new($"{ClusterTlsSettings.SectionName}:{setting}: {problem}.", inner);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Refused a TLS connection: the {Peer} certificate {Subject} (thumbprint {Thumbprint}, issued by {Issuer}): {Reason}.")]
    private static partial void LogRefused(ILogger logger, ClusterPeer peer, string subject, string thumbprint, string issuer, string reason);
}
