using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansSessions.Carts;
using OrleansSessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Cluster;

/// <summary>Two silo processes and the API host on PostgreSQL; one silo is killed with SIGKILL.</summary>
public sealed class SiloFailoverTests(ITestOutputHelper output) : IDisposable
{
    private const int Active = 3;
    private const int Dead = 6;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FailoverDeadline = TimeSpan.FromSeconds(90);
    private readonly LocalCluster cluster = new();

    public void Dispose()
    {
        output.WriteLine(cluster.Logs());
        cluster.Dispose();
    }

    [Fact]
    public async Task Carts_written_before_a_silo_is_killed_are_served_by_the_survivor_and_no_acknowledged_write_is_lost()
    {
        // The API host comes first: it must listen and refuse with 503 until a silo exists, then connect by itself.
        var (_, http) = cluster.StartApiHost("api");
        using var _ = http;
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/live")).IsSuccessStatusCode, StartDeadline, "API host liveness");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/users/before-any-silo/cart")).StatusCode);

        cluster.StartSilo("silo-a");
        var victim = cluster.StartSilo("silo-b");
        await Poll.UntilAsync(async () => await cluster.CountSilosAsync(Active) == 2, StartDeadline, $"two Active silos of cluster {cluster.ClusterId} in the membership table");
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, StartDeadline, "API host readiness after the silos started");

        var expected = new Dictionary<string, Dictionary<string, int>>();
        for (var i = 0; i < 24; i++)
        {
            var id = $"mp-cart-{i}-{Guid.NewGuid():N}";
            var response = await http.PostAsJsonAsync($"/users/{id}/cart/items", new { sku = "BEFORE", quantity = i + 1 });
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"cart {id}: write before the kill answered {(int)response.StatusCode}");
            expected[id] = new() { ["BEFORE"] = i + 1 };
        }

        victim.KillHard();
        var failover = System.Diagnostics.Stopwatch.StartNew();
        var refused = 0;

        // Keep writing through the failover. A 200 is an acknowledgement that must survive. A 503 says whether the
        // write is known not to have been applied ("not-applied") or may have been ("unknown"). Anything else — a 500,
        // a dropped connection — fails the test.
        var unknown = new HashSet<string>();
        foreach (var (id, lines) in expected)
        {
            var response = await http.PostAsJsonAsync($"/users/{id}/cart/items", new { sku = "DURING", quantity = 1 });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(
                response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
                $"cart {id}: write during failover answered {(int)response.StatusCode}: {body}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                lines["DURING"] = 1;
                continue;
            }

            refused++;
            var outcome = JsonDocument.Parse(body).RootElement.GetProperty("outcome").GetString();
            Assert.True(outcome is "not-applied" or "unknown", $"cart {id}: 503 without a known outcome: {body}");
            if (outcome == "unknown")
            {
                unknown.Add(id);
            }
        }

        foreach (var (id, lines) in expected)
        {
            var served = await Poll.ForAsync(
                async () =>
                {
                    var response = await http.GetAsync($"/users/{id}/cart");
                    Assert.True(
                        response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
                        $"cart {id}: read during failover answered {(int)response.StatusCode}");
                    return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<CartView>() : null;
                },
                FailoverDeadline,
                $"cart {id} to be served again after silo-b was killed");
            var actual = served.Lines.ToDictionary(l => l.Sku, l => l.Quantity);
            if (unknown.Contains(id) && actual.ContainsKey("DURING"))
            {
                lines["DURING"] = 1;
            }

            Assert.True(
                actual.Count == lines.Count && lines.All(l => actual.GetValueOrDefault(l.Key) == l.Value),
                $"cart {id}: expected {Describe(lines)}, served {Describe(actual)}");
        }

        output.WriteLine($"all {expected.Count} carts served again {failover.Elapsed.TotalSeconds:0.0} s after the kill; {refused} writes refused with 503 meanwhile ({unknown.Count} with outcome unknown)");
        await Poll.UntilAsync(
            async () => await cluster.CountSilosAsync(Dead) == 1 && await cluster.CountSilosAsync(Active) == 1,
            FailoverDeadline,
            $"the membership table of cluster {cluster.ClusterId} to show silo-b Dead and one silo Active");
    }

    private static string Describe(IReadOnlyDictionary<string, int> lines) => string.Join(", ", lines.Select(l => $"{l.Key}={l.Value}"));
}
