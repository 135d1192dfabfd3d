using System.Security.Cryptography.X509Certificates;
using OrleansSessions.Common;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Cluster;

/// <summary>The rules of <c>Orleans:Tls</c> without a connection: what stops a host at start, and which peers pass.</summary>
[Collection(ClusterTlsCollection.Name)]
public sealed class ClusterTlsCredentialsTests(ClusterTlsFixture fixture)
{
    private TestCertificates Certificates => fixture.Certificates;

    [Fact]
    public void Without_the_section_TLS_is_off()
        => Assert.Null(ClusterTlsCredentials.Load(ClusterTlsTests.Configuration(new Dictionary<string, string>()), ClusterPeer.Silo));

    [Theory]
    [InlineData("CertificatePath", "missing.crt", "Orleans:Tls:CertificatePath: no file at")]
    [InlineData("CertificatePath", null, "Orleans:Tls:CertificatePath: is missing")]
    [InlineData("KeyPath", "client.key", "Orleans:Tls:CertificatePath: could not load a certificate and its private key")]
    [InlineData("CaPath", "rogue-ca.crt", "Orleans:Tls:CertificatePath: the certificate CN=silo is refused: it does not chain to an authority of Orleans:Tls:CaPath")]
    [InlineData("CaPath", "silo.key", "Orleans:Tls:CaPath: ")]
    public void An_invalid_section_stops_the_host_naming_the_setting(string setting, string? file, string expected)
    {
        var settings = Certificates.Settings("silo");
        if (file is null)
        {
            settings.Remove($"Orleans:Tls:{setting}");
        }
        else
        {
            settings[$"Orleans:Tls:{setting}"] = Certificates.Path(file);
        }

        var failure = Assert.Throws<InvalidOperationException>(() => ClusterTlsCredentials.Load(ClusterTlsTests.Configuration(settings), ClusterPeer.Silo));
        Assert.StartsWith(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_cannot_serve_as_a_silo_certificate()
    {
        var failure = Assert.Throws<InvalidOperationException>(
            () => ClusterTlsCredentials.Load(ClusterTlsTests.Configuration(Certificates.Settings("client")), ClusterPeer.Silo));
        Assert.Equal("Orleans:Tls:CertificatePath: the certificate CN=client is not good for a Silo: its extended key usage must include both serverAuth and clientAuth.", failure.Message);
    }

    [Theory]
    [InlineData("silo", ClusterPeer.Silo, true)]
    [InlineData("silo", ClusterPeer.Client, true)]
    [InlineData("client", ClusterPeer.Client, true)]
    [InlineData("client", ClusterPeer.Silo, false)]
    [InlineData("rogue-silo", ClusterPeer.Silo, false)]
    [InlineData("rogue-client", ClusterPeer.Client, false)]
    public void Only_certificates_of_the_configured_CA_that_are_good_for_the_role_are_accepted(string peer, ClusterPeer role, bool accepted)
    {
        using var credentials = ClusterTlsCredentials.Load(ClusterTlsTests.Configuration(Certificates.Settings("silo")), ClusterPeer.Silo)!;
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(Certificates.Path($"{peer}.crt"));
        var log = new CapturedLog();

        Assert.Equal(accepted, credentials.Accepts(certificate, null, role, log.CreateLogger("tls")));
        Assert.Equal(accepted ? 0 : 1, log.Entries.Count(e => e.Message.StartsWith($"Refused a TLS connection: the {role} certificate CN={peer} ", StringComparison.Ordinal)));
    }

    [Fact]
    public void With_allowed_peer_names_a_certificate_of_the_CA_that_names_none_of_them_is_refused()
    {
        var settings = Certificates.Settings("silo");
        settings["Orleans:Tls:AllowedPeerNames:0"] = "silo";
        using var credentials = ClusterTlsCredentials.Load(ClusterTlsTests.Configuration(settings), ClusterPeer.Silo)!;
        using var silo = X509CertificateLoader.LoadCertificateFromFile(Certificates.Path("silo.crt"));
        using var client = X509CertificateLoader.LoadCertificateFromFile(Certificates.Path("client.crt"));
        var log = new CapturedLog();

        Assert.True(credentials.Accepts(silo, null, ClusterPeer.Client, log.CreateLogger("tls")));
        Assert.False(credentials.Accepts(client, null, ClusterPeer.Client, log.CreateLogger("tls")));
        Assert.Contains(log.Entries, e => e.Message.EndsWith("it names none of Orleans:Tls:AllowedPeerNames.", StringComparison.Ordinal));
    }
}
