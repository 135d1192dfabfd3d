using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansSessions.Common;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// A memory-storage TestCluster with its own fake domain clock, and two instances of <see cref="SessionSampleApp"/>
/// connected to it with one shared data-protection key ring.
/// </summary>
public sealed class DistributedSessionFixture : IAsyncLifetime
{
    private readonly DirectoryInfo keyRing = Directory.CreateTempSubdirectory("orleanssessions-keys-");

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>The silos' domain clock. It starts at the real time, so absolute dates a service computes mean the same to the grains.</summary>
    public FakeTimeProvider Clock => TestClocks.For(Cluster);

    public SessionSampleApp First { get; private set; } = null!;

    public SessionSampleApp Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(initialSilosCount: 2);
        builder.Options.ServiceId = TestDatabase.UniqueId("svc");
        builder.Options.ClusterId = TestDatabase.UniqueId("cluster");

        // Real TCP gateways (the default is an in-memory transport), which the sample apps' own clients connect to.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(
            [new(TestClocks.ConfigurationKey, builder.Options.ClusterId)]));
        builder.AddSiloBuilderConfigurator<MemoryClusterFixture.Configurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        // One after the other: the first creates the shared key ring, the second finds it.
        First = await SessionSampleApp.StartAsync(Cluster, keyRing);
        Second = await SessionSampleApp.StartAsync(Cluster, keyRing);
    }

    public async Task DisposeAsync()
    {
        await Second.DisposeAsync();
        await First.DisposeAsync();
        await Cluster.DisposeAsync();
        keyRing.Delete(recursive: true);
    }

    /// <summary>The entry's state as stored (null when there is no row), read through the silo's own storage provider.</summary>
    public async Task<CacheEntryState?> StoredEntryAsync(string key)
    {
        var storage = Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.State);
        var stored = new GrainState<CacheEntryState>();
        await storage.ReadStateAsync(CacheEntryGrain.StateName, Client.GetCacheEntryGrain(key).GetGrainId(), stored);
        return stored.RecordExists && stored.State?.Value is not null ? stored.State : null;
    }
}

[CollectionDefinition(Name)]
public sealed class DistributedSessionCollection : ICollectionFixture<DistributedSessionFixture>
{
    public const string Name = "distributed session";
}
