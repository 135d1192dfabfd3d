namespace OrleansSessions.Common;

/// <summary>
/// The <c>Orleans:Tls</c> section: the certificates that encrypt and mutually authenticate silo-to-silo and
/// client-to-gateway connections. Silos and clients of one cluster all set it, or none does.
/// </summary>
public sealed class ClusterTlsSettings
{
    public const string SectionName = "Orleans:Tls";

    /// <summary>This host's certificate: PEM (with its private key in the same file unless <see cref="KeyPath"/> names one) or PKCS#12.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>, when it is in a file of its own.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of a PKCS#12 file or of an encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// PEM file of the certificate authorities peers' certificates must chain to. Only these are trusted: the system's
    /// trust store is not consulted, so a certificate any public CA issued is no way in.
    /// </summary>
    public string? CaPath { get; set; }

    /// <summary>When not empty, a peer's certificate must also name one of these (DNS name or IP address, else subject common name).</summary>
    public IList<string> AllowedPeerNames { get; } = [];
}
