using System.Collections.Immutable;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;
using OrleansSessions.Client.Tls;
using OrleansSessions.Hosting;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Cluster;

/// <summary>A silo process with TLS from <c>Orleans:Tls</c> (certificates of <see cref="TestCertificates"/>) on the test PostgreSQL.</summary>
public sealed class ClusterTlsFixture : IAsyncLifetime, IDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public TestCertificates Certificates { get; } = new();

    public LocalCluster Cluster { get; } = new();

    public ProcessHost Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Silo = Cluster.StartSilo("tls-silo", Certificates.Environment("silo"));
        await Poll.UntilAsync(
            async () => !Silo.HasExited ? await Cluster.CountSilosAsync(3) == 1 : throw new Xunit.Sdk.XunitException(Silo.Tail()),
            Deadline,
            $"the TLS silo of cluster {Cluster.ClusterId} active");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Cluster.Dispose();
        Certificates.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterTlsCollection : ICollectionFixture<ClusterTlsFixture>
{
    public const string Name = "cluster TLS";
}

[Collection(ClusterTlsCollection.Name)]
public sealed class ClusterTlsTests(ClusterTlsFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = ClusterTlsFixture.Deadline;

    public enum Intruder
    {
        /// <summary>The plain Orleans protocol, as before TLS.</summary>
        Plaintext,

        /// <summary>TLS, trusting any gateway, presenting no certificate.</summary>
        TlsWithoutCertificate,

        /// <summary>A client certificate of another CA, trusting the cluster's CA as well as its own.</summary>
        CertificateOfAnotherCa,
    }

    public void Dispose() => output.WriteLine(fixture.Cluster.Logs());

    [Fact]
    public async Task A_client_with_a_certificate_of_the_cluster_CA_calls_a_grain()
    {
        using var client = await ConnectAsync(c => c.UseOrleansSessionsTls(Configuration(fixture.Certificates.Settings("client"))));

        var id = SessionIds.New();
        var grain = client.Services.GetRequiredService<IClusterClient>().GetSessionGrain(id);
        await grain.CreateAsync(new SessionCreate(null, ImmutableDictionary<string, string>.Empty.Add("over", "\"tls\""), null, null, null));
        var read = await grain.GetAsync();
        Assert.True(read?.Attributes["over"] == "\"tls\"", $"session {SessionIds.Hash(id)}: read back {read?.Attributes.GetValueOrDefault("over") ?? "nothing"}");
    }

    [Theory]
    [InlineData(Intruder.Plaintext, "Cannot determine the frame size or a corrupted frame was received")]
    [InlineData(Intruder.TlsWithoutCertificate, "The remote certificate was rejected by the provided RemoteCertificateValidationCallback")]
    [InlineData(Intruder.CertificateOfAnotherCa, "Refused a TLS connection: the Client certificate CN=rogue-client ")]
    public async Task A_client_without_a_certificate_of_the_cluster_CA_cannot_connect_or_call_a_grain(Intruder intruder, string siloLogs)
    {
        Action<IClientBuilder> tls = intruder switch
        {
            Intruder.Plaintext => _ => { },
            Intruder.TlsWithoutCertificate => c => c.UseTls(o => o.AllowAnyRemoteCertificate()),
            _ => c => c.UseOrleansSessionsTls(Configuration(fixture.Certificates.Settings("rogue-client", trust: "rogue-trust"))),
        };

        await AssertRefusedAsync(tls, () => fixture.Silo.Output.Count(l => l.Contains(siloLogs, StringComparison.Ordinal)), $"{intruder}: the silo logging '{siloLogs}'");
    }

    [Fact]
    public async Task A_client_refuses_a_gateway_whose_certificate_its_CA_did_not_issue()
    {
        var log = new CapturedLog();
        await AssertRefusedAsync(
            c => c.UseOrleansSessionsTls(Configuration(fixture.Certificates.Settings("rogue-client", trust: "rogue-ca"))),
            () => log.Entries.Count(e => e.Message.StartsWith("Refused a TLS connection: the Silo certificate CN=silo ", StringComparison.Ordinal)),
            "the client refusing the silo's certificate",
            log);
    }

    [Fact]
    public async Task A_silo_with_a_certificate_of_another_CA_does_not_join()
    {
        var rogue = fixture.Cluster.StartSilo("rogue-silo", fixture.Certificates.Environment("rogue-silo", trust: "rogue-trust"));
        try
        {
            await Poll.UntilAsync(
                () => Task.FromResult(fixture.Silo.Output.Any(l => l.Contains("Refused a TLS connection: the Silo certificate CN=rogue-silo ", StringComparison.Ordinal))),
                Deadline,
                $"the silo of cluster {fixture.Cluster.ClusterId} refusing the rogue silo");
            Assert.Equal(1, await fixture.Cluster.CountSilosAsync(3));
        }
        finally
        {
            rogue.KillHard();
        }
    }

    [Fact]
    public async Task An_api_host_with_a_client_certificate_of_the_cluster_CA_gets_ready_through_the_TLS_gateway()
    {
        var (api, http) = fixture.Cluster.StartApiHost("tls-api", fixture.Certificates.Environment("client"));
        using var _ = http;
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, Deadline, $"{http.BaseAddress} ready");
        Assert.Contains(typeof(ClusterTlsClientBuilderExtensions).FullName, LogLines.Categories(api.Output, "info"));
        api.KillHard();
    }

    [Fact]
    public async Task A_silo_whose_certificate_file_is_missing_stops_at_start_naming_the_setting_and_never_listens_in_plaintext()
    {
        var settings = fixture.Certificates.Environment("silo");
        settings["Orleans__Tls__CertificatePath"] = fixture.Certificates.Path("missing.crt");
        var silo = fixture.Cluster.StartSilo("misconfigured-silo", settings);

        await Poll.UntilAsync(() => Task.FromResult(silo.HasExited), Deadline, "the misconfigured silo to exit");
        Assert.Contains(silo.Output, l => l.Contains($"Orleans:Tls:CertificatePath: no file at '{fixture.Certificates.Path("missing.crt")}'", StringComparison.Ordinal));
        Assert.DoesNotContain(silo.Output, l => l.Contains("TLS is off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cluster_mode_silo_without_TLS_settings_warns_at_start_that_its_ports_speak_plaintext()
    {
        using var plain = new LocalCluster();
        var silo = plain.StartSilo("plaintext-silo");
        await Poll.UntilAsync(
            () => Task.FromResult(silo.Output.Any(l => l.Contains("TLS is off: silo port", StringComparison.Ordinal))),
            Deadline,
            "the plaintext warning of a silo without Orleans:Tls");
        Assert.Contains(typeof(ClusterTls).FullName, LogLines.Categories(silo.Output, "warn"));
    }

    /// <summary>
    /// Starts a client whose connections the TLS handshake refuses, waits for <paramref name="refusals"/> to count one
    /// more, and shows that the client never connected and cannot address a grain.
    /// </summary>
    private async Task AssertRefusedAsync(Action<IClientBuilder> tls, Func<int> refusals, string awaited, CapturedLog? log = null)
    {
        var before = refusals();
        using var host = Client(tls, log);
        using var stop = new CancellationTokenSource();
        var start = host.StartAsync(stop.Token);
        await Poll.UntilAsync(() => Task.FromResult(refusals() > before), Deadline, awaited);

        var id = SessionIds.New();
        var call = await Record.ExceptionAsync(() => host.Services.GetRequiredService<IClusterClient>().GetSessionGrain(id).GetAsync().WaitAsync(Deadline));
        Assert.False(start.IsCompleted, $"{awaited}: yet the client connected");

        // Without a gateway the client never receives the cluster's grain manifest: the call fails inside the client
        // (which exception depends on how far its start got: "Could not find an implementation", or a runtime not yet
        // set up), and never returns an answer.
        Assert.True(
            call is not null and not TimeoutException,
            $"session {SessionIds.Hash(id)}: expected the call to fail in the unconnected client, got {call?.ToString() ?? "an answer"}");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start);
    }

    internal static IConfiguration Configuration(IReadOnlyDictionary<string, string> settings)
        => new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    /// <summary>A service's Orleans client of the fixture's cluster, started (connected) within the deadline.</summary>
    private async Task<IHost> ConnectAsync(Action<IClientBuilder> tls)
    {
        var host = Client(tls, log: null);
        try
        {
            await host.StartAsync().WaitAsync(Deadline);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>A service's Orleans client of the fixture's cluster (on its membership table), not started.</summary>
    private IHost Client(Action<IClientBuilder> tls, CapturedLog? log)
    {
        var builder = Host.CreateApplicationBuilder();
        if (log is not null)
        {
            builder.Logging.AddProvider(log);
        }

        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = fixture.Cluster.ClusterId;
                o.ServiceId = fixture.Cluster.ServiceId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterSettings.Invariant;
                o.ConnectionString = TestDatabase.ConnectionString;
            });
            tls(client);
        });
        return builder.Build();
    }
}
