using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansSessions.Tests.Infrastructure;
using OrleansSessions.Tests.Payments;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Cluster;

/// <summary>Two silo processes, the API host and the fake gateway on PostgreSQL; the silo running a saga is killed mid-way.</summary>
public sealed class SagaFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Active = 3;
    private static readonly TimeSpan GatewayLatency = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FailoverDeadline = TimeSpan.FromSeconds(180);
    private readonly LocalCluster cluster = new();
    private RunningFakeGateway gateway = null!;

    public async Task InitializeAsync() => gateway = await RunningFakeGateway.StartAsync(TimeSpan.FromSeconds(1));

    public async Task DisposeAsync()
    {
        output.WriteLine(cluster.Logs());
        cluster.Dispose();
        await gateway.DisposeAsync();
    }

    [Fact]
    public async Task A_saga_whose_silo_dies_between_authorize_and_capture_finishes_on_the_other_silo_with_one_capture()
    {
        cluster.Settings["Payments__GatewayUrl"] = gateway.Url.ToString();

        // Gateway calls of GatewayLatency must not time out (the saga's grain calls still end within Orleans' 30 s).
        cluster.Settings["Payments__AttemptTimeout"] = "00:00:20";
        cluster.Settings["Payments__TotalTimeout"] = "00:00:25";
        var (_, http) = cluster.StartApiHost("api");
        using var _ = http;
        var victim = cluster.StartSilo("silo-a");
        await Poll.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, StartDeadline, "API host readiness with silo-a");

        var user = $"failover-{Guid.NewGuid():N}";
        var sku = $"FO-{Guid.NewGuid():N}"[..12];
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/inventory/{sku}", new { onHand = 3, unitPrice = 500, currency = "EUR" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/users/{user}/cart/items", new { sku, quantity = 1 })).StatusCode);

        // Every gateway call now takes GatewayLatency (under the per-attempt timeout): the saga (activated on silo-a, the
        // only silo) will be mid-capture for that long, which leaves silo-b time to start even on a loaded machine.
        await using var slow = await gateway.InjectAsync(f => f with { LatencyMs = (int)GatewayLatency.TotalMilliseconds });
        using var order = new HttpRequestMessage(HttpMethod.Post, $"/users/{user}/orders") { Content = JsonContent.Create(new { paymentMethod = "pm_card_visa" }) };
        order.Headers.Add("Idempotency-Key", "checkout");
        var placed = await http.SendAsync(order);
        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var location = placed.Headers.Location!.OriginalString;
        var orderId = location["/orders/".Length..];

        var survivor = cluster.StartSilo("silo-b");
        await Poll.UntilAsync(async () => await cluster.CountSilosAsync(Active) == 2, StartDeadline, $"two Active silos of cluster {cluster.ClusterId}");
        await Poll.UntilAsync(
            () => Task.FromResult(survivor.Output.Any(l => l.Contains("Application started", StringComparison.Ordinal))),
            StartDeadline,
            "silo-b to finish starting");
        await Poll.UntilAsync(async () => await StatusAsync(http, location) == "Authorized", StartDeadline, $"order {orderId} to be authorized (and capturing)");

        victim.KillHard();

        await Poll.UntilAsync(async () => await StatusAsync(http, location) == "Confirmed", FailoverDeadline, $"order {orderId} to finish on silo-b");
        var ledger = await gateway.EntriesAsync($"{orderId}:capture");
        Assert.True(ledger.Count == 1, $"order {orderId}: {ledger.Count} captures in the gateway's ledger");
        var history = await Poll.ForAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>($"/users/{user}/orders")).EnumerateArray().ToArray() is { Length: > 0 } orders
                && orders.All(o => o.GetProperty("status").GetString() == "Confirmed") ? orders : null,
            FailoverDeadline,
            $"the order history of {user} to show order {orderId} confirmed");
        Assert.Single(history);
    }

    private static async Task<string?> StatusAsync(HttpClient http, string location)
    {
        var response = await http.GetAsync(location);
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString() : null;
    }
}
