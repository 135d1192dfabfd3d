using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Hosting;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Cluster;

/// <summary>One silo process, two API host processes and this test as a third .NET service, all on PostgreSQL.</summary>
public sealed class SessionConsistencyTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private readonly LocalCluster cluster = new();

    public void Dispose()
    {
        output.WriteLine(cluster.Logs());
        cluster.Dispose();
    }

    [Fact]
    public async Task A_write_through_one_api_host_is_read_at_once_through_another_and_by_a_service_holding_a_cluster_client()
    {
        cluster.StartSilo("silo");
        var (_, a) = cluster.StartApiHost("api-a");
        var (_, b) = cluster.StartApiHost("api-b");
        using var hostA = a;
        using var hostB = b;
        foreach (var http in new[] { a, b })
        {
            await Poll.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, StartDeadline, $"{http.BaseAddress} ready");
        }

        // The expiry sweep runs on one reminder per partition (not one per session), registered when the silo starts.
        await Poll.UntilAsync(
            async () => await TestDatabase.ScalarAsync(
                "select count(*) from orleansreminderstable where serviceid = @service and remindername = 'expiry-sweep'",
                ("service", cluster.ServiceId)) == OrleansSessions.Common.Expiry.Expiry.Partitions,
            StartDeadline,
            $"the {OrleansSessions.Common.Expiry.Expiry.Partitions} expiry-sweep reminders of service {cluster.ServiceId}");

        var created = await a.PostAsJsonAsync("/sessions", new { attributes = new { step = 1 } });
        var session = (await created.Content.ReadFromJsonAsync<SessionResponse>())!;
        var hash = SessionIds.Hash(session.Id);

        // Read-your-writes across hosts: no polling, the very next read must see the write.
        for (var step = 2; step <= 6; step++)
        {
            var (writer, reader) = step % 2 == 0 ? (a, b) : (b, a);
            var write = await writer.PutAsync($"/sessions/{session.Id}/attributes/step", new StringContent($"{step}", Encoding.UTF8, "application/json"));
            Assert.True(write.IsSuccessStatusCode, $"session {hash}: write of step {step} answered {(int)write.StatusCode}");
            var read = (await reader.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
            Assert.True(read.Attributes["step"].GetInt32() == step, $"session {hash}: read through the other host saw step {read.Attributes["step"]}, wrote {step}");
        }

        // Another .NET service: an Orleans client of the same cluster, calling the session grain in-process.
        using var service = await ConnectServiceAsync();
        var grain = service.Services.GetRequiredService<IClusterClient>().GetSessionGrain(session.Id);
        var seen = await grain.GetAsync();
        Assert.True(seen?.Attributes["step"] == "6", $"session {hash}: the service saw {seen?.Attributes["step"]}");
        await grain.SetAttributeAsync("from", "\"service\"", expectedVersion: seen!.Version);
        var viaHttp = (await b.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
        Assert.Equal("service", viaHttp.Attributes["from"].GetString());

        // A token issued by one host validates at the other.
        var token = (await (await a.PostAsync($"/sessions/{session.Id}/token", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        var validated = await b.PostAsJsonAsync("/tokens/validate", new { token });
        Assert.True(validated.StatusCode == HttpStatusCode.OK, $"session {hash}: token from api-a refused by api-b ({(int)validated.StatusCode})");
    }

    private async Task<IHost> ConnectServiceAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            })
            .UseAdoNetClustering(o =>
            {
                o.Invariant = ClusterSettings.Invariant;
                o.ConnectionString = TestDatabase.ConnectionString;
            }));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
