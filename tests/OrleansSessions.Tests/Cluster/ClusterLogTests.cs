using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansSessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Cluster;

/// <summary>A silo process and the API host on PostgreSQL, started and stopped the way scripts/cluster does it.</summary>
public sealed class ClusterLogTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly LocalCluster cluster = new();

    public void Dispose()
    {
        output.WriteLine(cluster.Logs());
        cluster.Dispose();
    }

    [Fact]
    public async Task Coming_up_and_going_down_with_sessions_to_store_logs_no_errors_and_no_stack_traces()
    {
        // The API host first, probed for readiness while no silo exists yet: not ready is no error.
        var (api, http) = cluster.StartApiHost("api");
        using var _ = http;
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/live")).IsSuccessStatusCode, Deadline, "API host liveness");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
        var silo = cluster.StartSilo("silo");
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, Deadline, "API host readiness once the silo is up");

        // Bound to users and read once: the last silo deactivates them with a slide to store as it stops, and the
        // users' indexes have nowhere left to go.
        for (var i = 0; i < 4; i++)
        {
            var response = await http.PostAsJsonAsync("/sessions", new { userId = $"stop-user-{i}" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var session = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/sessions/{session}")).StatusCode);
        }

        Assert.Equal(0, await api.StopAsync(Deadline));
        Assert.Equal(0, await silo.StopAsync(Deadline));
        foreach (var host in new[] { api, silo })
        {
            Assert.True(LogLines.Errors(host.Output).Count == 0, $"{host.Name}: {string.Join(Environment.NewLine, LogLines.Errors(host.Output))}");
            Assert.True(LogLines.StackFrames(host.Output).Count == 0, $"{host.Name}: {host.Tail(100)}");
        }
    }
}
