using System.Globalization;
using System.Net;
using System.Text.Json;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Cluster;

/// <summary>
/// <c>Orleans:Mode=CoHosted</c>: the API host is itself a silo of the PostgreSQL cluster (no gateway hop). It joins the
/// membership table, serves sessions from grains whose state is in PostgreSQL, and refuses to start without credentials.
/// </summary>
public sealed class CoHostedModeTests : IDisposable
{
    private readonly string clusterId = TestDatabase.UniqueId("cohost");
    private readonly string serviceId = TestDatabase.UniqueId("cohost-svc");
    private readonly ApiHostFactory factory;

    public CoHostedModeTests() => factory = new ApiHostFactory(new Dictionary<string, string>
    {
        ["Orleans:Mode"] = "CoHosted",
        ["ConnectionStrings:Orleans"] = TestDatabase.ConnectionString,
        ["Orleans:ClusterId"] = clusterId,
        ["Orleans:ServiceId"] = serviceId,
        ["Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Tokens:SigningKey"] = Convert.ToBase64String(new byte[32]),
    });

    public void Dispose() => factory.Dispose();

    [Fact]
    public async Task A_co_hosted_api_host_joins_the_cluster_and_keeps_sessions_in_postgresql()
    {
        var http = factory.StartClient();
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the co-hosted host's readiness");

        var created = await http.PostJsonTextAsync("/sessions", """{"attributes":{"theme":"dark"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var read = JsonDocument.Parse(await http.GetStringAsync($"/sessions/{id}")).RootElement;
        Assert.Equal("dark", read.GetProperty("attributes").GetProperty("theme").GetString());

        Assert.Equal(1, await TestDatabase.ScalarAsync(
            "select count(*) from orleansmembershiptable where deploymentid = @cluster and status = 3", ("cluster", clusterId)));
        Assert.True(await TestDatabase.ScalarAsync("select count(*) from orleansstorage where serviceid = @service", ("service", serviceId)) > 0,
            $"service {serviceId}: no grain state row in PostgreSQL after a co-hosted session write");
    }

    [Fact]
    public void Co_hosted_mode_refuses_to_start_without_credentials()
    {
        using var open = new ApiHostFactory(
            new Dictionary<string, string>
            {
                ["Orleans:Mode"] = "CoHosted",
                ["ConnectionStrings:Orleans"] = TestDatabase.ConnectionString,
                ["Tokens:SigningKey"] = Convert.ToBase64String(new byte[32]),
            },
            testCredentials: false);
        var error = Assert.Throws<InvalidOperationException>(() => open.StartClient());
        Assert.Contains("needs credentials", error.Message, StringComparison.Ordinal);
    }
}
