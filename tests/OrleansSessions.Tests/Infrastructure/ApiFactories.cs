using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>The API host over real HTTP (Kestrel on a loopback port), configured through host settings.</summary>
/// <remarks>
/// The test API keys (<see cref="TestCredentials"/>) are configured unless <paramref name="testCredentials"/> is
/// false; <paramref name="settings"/> win over them.
/// </remarks>
public class ApiHostFactory(IReadOnlyDictionary<string, string> settings, bool testCredentials = true) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var credentials = testCredentials ? TestCredentials.Settings() : [];
        foreach (var (key, value) in credentials.Where(s => !settings.ContainsKey(s.Key)).Concat(settings))
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Cluster mode pointed at a database port nothing listens on: the host starts, and grain-backed routes answer 503.</summary>
    public static ApiHostFactory ForUnreachableCluster() => new(new Dictionary<string, string>
    {
        ["Orleans:Mode"] = "Cluster",
        ["ConnectionStrings:Orleans"] = $"Host=127.0.0.1;Port={FreePort.Next().ToString(CultureInfo.InvariantCulture)};Username=postgres;Timeout=1",
        ["Tokens:SigningKey"] = Convert.ToBase64String(new byte[32]),
    });

    /// <summary>Starts the host on Kestrel; the client sends the every-scope test API key.</summary>
    public HttpClient StartClient()
    {
        UseKestrel(0);
        StartServer();
        return CreateClient().WithKey(TestCredentials.AllScopes);
    }

    /// <summary>A client of the started host that sends no credential.</summary>
    public HttpClient AnonymousClient() => CreateClient();

    /// <summary>A client of the started host that sends <paramref name="token"/> as its bearer token.</summary>
    public HttpClient BearerClient(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>The default mode: an in-process silo on its own free ports.</summary>
public sealed class EmbeddedApiFixture : IDisposable
{
    public const long MaxRequestBodyBytes = 300 * 1024;

    public EmbeddedApiFixture()
    {
        Issuer = TestOidcIssuer.StartAsync().GetAwaiter().GetResult();
        Factory = new ApiHostFactory(new Dictionary<string, string>(Issuer.Settings())
        {
            ["Orleans:Mode"] = "Embedded",
            ["Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Api:MaxRequestBodyBytes"] = MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture),
        });
        Client = Factory.StartClient();
    }

    public ApiHostFactory Factory { get; }

    public HttpClient Client { get; }

    /// <summary>The OpenID Connect issuer whose access tokens this host takes from services.</summary>
    public TestOidcIssuer Issuer { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Issuer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedApiCollection : ICollectionFixture<EmbeddedApiFixture>
{
    public const string Name = "embedded api";
}
