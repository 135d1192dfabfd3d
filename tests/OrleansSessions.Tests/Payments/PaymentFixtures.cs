using System.Globalization;
using Orleans.TestingHost;
using OrleansSessions.Payments;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Payments;

/// <summary>The fake gateway alone, for its HTTP contract.</summary>
public sealed class FakeGatewayFixture : IAsyncLifetime
{
    public static readonly TimeSpan SlowCardDelay = TimeSpan.FromMilliseconds(500);

    public RunningFakeGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await RunningFakeGateway.StartAsync(SlowCardDelay);

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// A memory TestCluster whose payment grains call a fake gateway of their own, with short timeouts so that a slow card
/// outlasts every attempt, and a circuit breaker that does not open (its own fixture tests it).
/// </summary>
public sealed class PaymentClusterFixture() : PaymentClusterFixtureBase(new Dictionary<string, string?>
{
    [Key(nameof(PaymentsOptions.AttemptTimeout))] = "00:00:02",
    [Key(nameof(PaymentsOptions.TotalTimeout))] = "00:00:04",
    [Key(nameof(PaymentsOptions.MaxRetryAttempts))] = "2",
    [Key(nameof(PaymentsOptions.RetryBaseDelay))] = "00:00:00.050",
    [Key(nameof(PaymentsOptions.CircuitBreakerMinimumThroughput))] = "100000",
})
{
    /// <summary>Longer than <see cref="PaymentsOptions.TotalTimeout"/>: every attempt at a slow card times out.</summary>
    public static readonly TimeSpan SlowCardDelay = TimeSpan.FromSeconds(6);

    protected override TimeSpan SlowCard => SlowCardDelay;
}

/// <summary>A memory TestCluster whose gateway circuit opens after 4 failed attempts and stays open for 5 s.</summary>
public sealed class PaymentCircuitClusterFixture() : PaymentClusterFixtureBase(new Dictionary<string, string?>
{
    [Key(nameof(PaymentsOptions.AttemptTimeout))] = "00:00:02",
    [Key(nameof(PaymentsOptions.TotalTimeout))] = "00:00:05",
    [Key(nameof(PaymentsOptions.MaxRetryAttempts))] = "1",
    [Key(nameof(PaymentsOptions.RetryBaseDelay))] = "00:00:00.010",
    [Key(nameof(PaymentsOptions.CircuitBreakerFailureRatio))] = "0.5",
    [Key(nameof(PaymentsOptions.CircuitBreakerMinimumThroughput))] = "4",
    [Key(nameof(PaymentsOptions.CircuitBreakerSamplingDuration))] = "00:00:30",
    [Key(nameof(PaymentsOptions.CircuitBreakerBreakDuration))] = "00:00:05",
})
{
    protected override TimeSpan SlowCard => TimeSpan.FromSeconds(1);
}

public abstract class PaymentClusterFixtureBase(IReadOnlyDictionary<string, string?> payments) : IAsyncLifetime
{
    public RunningFakeGateway Gateway { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    protected abstract TimeSpan SlowCard { get; }

    public async Task InitializeAsync()
    {
        Gateway = await RunningFakeGateway.StartAsync(SlowCard);
        var settings = new Dictionary<string, string?>(payments)
        {
            [Key(nameof(PaymentsOptions.GatewayUrl))] = Gateway.Url.ToString(),
        };
        Cluster = await TestClusters.StartAsync<MemoryClusterFixture.Configurator>(TestDatabase.UniqueId("svc"), settings: settings);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Gateway.DisposeAsync();
    }

    protected static string Key(string option) => string.Create(CultureInfo.InvariantCulture, $"{PaymentsOptions.SectionName}:{option}");
}

[CollectionDefinition(Name)]
public sealed class FakeGatewayCollection : ICollectionFixture<FakeGatewayFixture>
{
    public const string Name = "fake payment gateway";
}

[CollectionDefinition(Name)]
public sealed class PaymentClusterCollection : ICollectionFixture<PaymentClusterFixture>
{
    public const string Name = "payment cluster";
}

[CollectionDefinition(Name)]
public sealed class PaymentCircuitClusterCollection : ICollectionFixture<PaymentCircuitClusterFixture>
{
    public const string Name = "payment cluster, circuit breaker";
}
