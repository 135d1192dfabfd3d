using System.Globalization;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Cluster;

/// <summary>Silo processes and an API host process in cluster mode on the test PostgreSQL, as scripts/cluster runs them.</summary>
public sealed class LocalCluster : IDisposable
{
    private readonly List<ProcessHost> hosts = [];

    public string ClusterId { get; } = TestDatabase.UniqueId("mp");

    public string ServiceId { get; } = TestDatabase.UniqueId("mp-svc");

    /// <summary>More settings for every host started from now on (e.g. <c>Payments__GatewayUrl</c>).</summary>
    public Dictionary<string, string> Settings { get; } = [];

    private Dictionary<string, string> Environment => new(TestCredentials.Settings("__").Concat(Settings).ToDictionary())
    {
        ["ConnectionStrings__Orleans"] = TestDatabase.ConnectionString,
        ["Orleans__ClusterId"] = ClusterId,
        ["Orleans__ServiceId"] = ServiceId,
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",

        // API hosts of one deployment share the token key, or a token from one would not validate at another.
        ["Tokens__SigningKey"] = SigningKey,
    };

    private static string SigningKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public ProcessHost StartSilo(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = With(settings);
        environment["Orleans__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        environment["Orleans__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        return Track(ProcessHost.Start(name, "Silo", "OrleansSessions.Silo", environment));
    }

    public (ProcessHost Host, HttpClient Http) StartApiHost(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = With(settings);
        environment["Orleans__Mode"] = "Cluster";
        var url = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";
        var host = Track(ProcessHost.Start(name, "ApiHost", "OrleansSessions.ApiHost", environment, "--urls", url));
        return (host, new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) }.WithKey(TestCredentials.AllScopes));
    }

    /// <summary>Silo rows of this cluster in the membership table with the given status (3 = Active, 6 = Dead).</summary>
    public Task<long> CountSilosAsync(int status) => TestDatabase.ScalarAsync(
        "select count(*) from orleansmembershiptable where deploymentid = @cluster and status = @status",
        ("cluster", ClusterId), ("status", status));

    public string Logs() => string.Join(System.Environment.NewLine, hosts.Select(h => h.Tail()));

    public void Dispose()
    {
        foreach (var host in hosts)
        {
            host.Dispose();
        }
    }

    /// <summary>The environment of every host, plus <paramref name="settings"/> for this one.</summary>
    private Dictionary<string, string> With(IReadOnlyDictionary<string, string>? settings)
    {
        var environment = Environment;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }

    private ProcessHost Track(ProcessHost host)
    {
        hosts.Add(host);
        return host;
    }
}
