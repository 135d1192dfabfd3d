using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>The API host over real HTTP (Kestrel on a loopback port), configured through host settings.</summary>
public class ApiHostFactory(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient StartClient()
    {
        UseKestrel(0);
        StartServer();
        return CreateClient();
    }
}

/// <summary>The default mode: an in-process silo on its own free ports.</summary>
public sealed class EmbeddedApiFixture : IDisposable
{
    public const long MaxRequestBodyBytes = 300 * 1024;

    public EmbeddedApiFixture()
    {
        Factory = new ApiHostFactory(new Dictionary<string, string>
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

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedApiCollection : ICollectionFixture<EmbeddedApiFixture>
{
    public const string Name = "embedded api";
}
