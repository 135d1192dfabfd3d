using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansSessions.Tests.Cluster;

/// <summary>
/// A throwaway PKI in a temporary folder, as PEM files: the cluster's CA with a silo and a client certificate, and a
/// rogue CA with its own silo and client certificates. <c>rogue-trust.crt</c> holds both CAs: what an attacker who
/// read the cluster's public CA certificate would trust, so that their own host starts and accepts the cluster.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    public TestCertificates()
    {
        using var ca = Authority("cluster CA", "ca");
        using var rogue = Authority("rogue CA", "rogue-ca");
        File.WriteAllText(Path("rogue-trust.crt"), ca.ExportCertificatePem() + "\n" + rogue.ExportCertificatePem());
        Issue(ca, "silo", ServerAuthentication, ClientAuthentication);
        Issue(ca, "client", ClientAuthentication);
        Issue(rogue, "rogue-silo", ServerAuthentication, ClientAuthentication);
        Issue(rogue, "rogue-client", ClientAuthentication);
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("orleanssessions-tls-").FullName;

    /// <summary>The PEM files of a certificate made here (<c>silo</c>, <c>client</c>, <c>rogue-silo</c>, …), trusting <paramref name="trust"/>.</summary>
    public Dictionary<string, string> Settings(string name, string trust = "ca") => new()
    {
        ["Orleans:Tls:CertificatePath"] = Path($"{name}.crt"),
        ["Orleans:Tls:KeyPath"] = Path($"{name}.key"),
        ["Orleans:Tls:CaPath"] = Path($"{trust}.crt"),
    };

    /// <summary>The same as environment variables of a host process.</summary>
    public Dictionary<string, string> Environment(string name, string trust = "ca")
        => Settings(name, trust).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

    public string Path(string file) => System.IO.Path.Combine(Folder, file);

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private X509Certificate2 Authority(string subject, string file)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path($"{file}.crt"), authority.ExportCertificatePem());
        return authority;
    }

    private void Issue(X509Certificate2 authority, string name, params string[] usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages.Select(u => new Oid(u))], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), authority.NotAfter.AddHours(-1), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(Path($"{name}.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path($"{name}.key"), key.ExportPkcs8PrivateKeyPem());
    }
}
