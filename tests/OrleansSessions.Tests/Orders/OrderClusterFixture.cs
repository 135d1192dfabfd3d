using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansSessions.Common;
using OrleansSessions.Inventory;
using OrleansSessions.Orders;
using OrleansSessions.Payments;
using OrleansSessions.Tests.Infrastructure;
using OrleansSessions.Tests.Infrastructure.Faults;
using OrleansSessions.Tests.Payments;

namespace OrleansSessions.Tests.Orders;

/// <summary>
/// Orders end to end on a memory TestCluster: the fault harness under grain storage, a fake payment gateway of its own,
/// the fake clock, and quick saga retries (3 attempts, 20 ms apart and doubling).
/// </summary>
public sealed class OrderClusterFixture : IAsyncLifetime
{
    public RunningFakeGateway Gateway { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public FakeTimeProvider Clock => TestClocks.For(Cluster);

    public FaultPlan Faults => FaultPlan.For(Cluster.Options.ClusterId);

    public async Task InitializeAsync()
    {
        Gateway = await RunningFakeGateway.StartAsync(TimeSpan.FromSeconds(3));
        Cluster = await TestClusters.StartAsync<FaultClusterFixture.Configurator>(TestDatabase.UniqueId("orders"), settings: new Dictionary<string, string?>
        {
            [$"{PaymentsOptions.SectionName}:{nameof(PaymentsOptions.GatewayUrl)}"] = Gateway.Url.ToString(),
            [$"{PaymentsOptions.SectionName}:{nameof(PaymentsOptions.MaxRetryAttempts)}"] = "1",
            [$"{PaymentsOptions.SectionName}:{nameof(PaymentsOptions.RetryBaseDelay)}"] = "00:00:00.010",
            [$"{PaymentsOptions.SectionName}:{nameof(PaymentsOptions.CircuitBreakerMinimumThroughput)}"] = "100000",
            [$"{OrderOptions.SectionName}:{nameof(OrderOptions.MaxAttempts)}"] = "3",
            [$"{OrderOptions.SectionName}:{nameof(OrderOptions.MaxCompensationAttempts)}"] = "3",
            [$"{OrderOptions.SectionName}:{nameof(OrderOptions.RetryDelay)}"] = "00:00:00.020",
            [$"{OrderOptions.SectionName}:{nameof(OrderOptions.ReservationLease)}"] = "00:05:00",
        });
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Gateway.DisposeAsync();
    }

    public async Task<string> StockAsync(int onHand, long unitPrice = 250)
    {
        var sku = $"SKU-{Guid.NewGuid():N}"[..20];
        await Client.GetGrain<IInventoryGrain>(sku).SetStockAsync(onHand, unitPrice, "EUR");
        return sku;
    }

    /// <summary>Places an order for the lines and waits until its saga has finished (Confirmed, Cancelled or CompensationFailed).</summary>
    public async Task<OrderView> OrderAsync(string paymentMethod, params (string Sku, int Quantity)[] lines)
    {
        var placed = await PlaceAsync(paymentMethod, lines);
        return await FinishedAsync(placed.OrderId);
    }

    public Task<OrderView> PlaceAsync(string paymentMethod, params (string Sku, int Quantity)[] lines)
    {
        var user = $"buyer-{Guid.NewGuid():N}";
        var orderId = OrderIds.For(user, "k1");
        return Client.GetGrain<IOrderSagaGrain>(orderId).PlaceAsync(
            new PlaceOrder(user, paymentMethod, [.. lines.Select(l => new OrderLine(l.Sku, l.Quantity, 0, null))], paymentMethod));
    }

    public Task<OrderView> FinishedAsync(string orderId, OrderStatus? expected = null) => Poll.ForAsync(
        async () => await Client.GetGrain<IOrderSagaGrain>(orderId).GetAsync() is { Status: OrderStatus.Confirmed or OrderStatus.Cancelled or OrderStatus.CompensationFailed } view
            && (expected is null || view.Status == expected) ? view : null,
        TimeSpan.FromSeconds(30),
        $"order {orderId} to finish{(expected is null ? "" : $" as {expected}")}");

    public async Task<StockView> StockOfAsync(string sku) => (await Client.GetGrain<IInventoryGrain>(sku).GetAsync())!;

    /// <summary>What the gateway really did for an order (its ledger, by the order's idempotency keys).</summary>
    public async Task<IReadOnlyList<string>> LedgerOfAsync(string orderId)
        => [.. (await Gateway.LedgerAsync()).Where(e => e.IdempotencyKey.StartsWith(orderId + ":", StringComparison.Ordinal)).Select(e => $"{e.Operation}:{e.Outcome}")];

    public IGrainStorage Store => Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(FaultClusterFixture.Configurator.InnerStorage);
}

[CollectionDefinition(Name)]
public sealed class OrderClusterCollection : ICollectionFixture<OrderClusterFixture>
{
    public const string Name = "order cluster";
}
