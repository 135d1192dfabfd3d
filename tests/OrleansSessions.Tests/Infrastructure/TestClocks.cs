using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansSessions.Common;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>
/// One fake domain clock per test cluster (keyed by cluster id), shared by its in-process silos, so time-dependent behaviour
/// is driven by the test and clusters running in parallel do not move each other's time.
/// </summary>
public static class TestClocks
{
    public const string ConfigurationKey = "Tests:Clock";

    private static readonly ConcurrentDictionary<string, FakeTimeProvider> Clocks = new();

    public static FakeTimeProvider For(TestCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return For(cluster.Options.ClusterId);
    }

    public static ISiloBuilder UseTestClock(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        // Clusters started through TestClusters name their clock; others keep the system clock.
        if (silo.Configuration[ConfigurationKey] is { } clusterId)
        {
            silo.Services.AddKeyedSingleton<TimeProvider>(DomainClock.Key, For(clusterId));
        }

        return silo;
    }

    private static FakeTimeProvider For(string clusterId) => Clocks.GetOrAdd(clusterId, _ => new FakeTimeProvider(DateTimeOffset.UtcNow));
}
