using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Hosting;

namespace OrleansSessions.Tests.Infrastructure.Faults;

/// <summary>
/// A memory TestCluster whose grain storage and event publishing go through the fault harness
/// (<see cref="FaultyGrainStorage"/>, <see cref="FaultyEventPublisher"/>), with the fake clock and a user session
/// limit of 2 (Reject), so limit leaks show at once.
/// </summary>
public sealed class FaultClusterFixture : IAsyncLifetime
{
    public const int MaxSessionsPerUser = 2;

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public FakeTimeProvider Clock => TestClocks.For(Cluster);

    public FaultPlan Faults => FaultPlan.For(Cluster.Options.ClusterId);

    /// <summary>What is stored, read past the faults (the inner memory storage).</summary>
    public IGrainStorage Store => Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(Configurator.InnerStorage);

    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync<Configurator>(
        TestDatabase.UniqueId("faults"),
        settings: new Dictionary<string, string?> { ["Sessions:MaxSessionsPerUser"] = MaxSessionsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Reads the stored state of a grain as the store has it; null when there is no row.</summary>
    public async Task<T?> StoredAsync<T>(string stateName, GrainId grain)
        where T : class
    {
        var state = new GrainState<T>();
        await Store.ReadStateAsync(stateName, grain, state);
        return state.RecordExists ? state.State : null;
    }

    public sealed class Configurator : ISiloConfigurator
    {
        public const string InnerStorage = StorageNames.State + ".inner";

        public void Configure(ISiloBuilder siloBuilder)
        {
            var plan = FaultPlan.For(siloBuilder.Configuration[TestClocks.ConfigurationKey]!);
            siloBuilder
                .AddMemoryGrainStorage(InnerStorage)
                .UseInMemoryReminderService()
                .AddMemoryStreams(StreamNames.Provider)
                .AddMemoryGrainStorage("PubSubStore")
                .UseTestClock();
            siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(
                StorageNames.State,
                (sp, _) => new StoreOutageGrainStorage(new FaultyGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(InnerStorage), plan)));
            siloBuilder.Services.AddSingleton<IEventPublisher>(sp => new FaultyEventPublisher(new StreamEventPublisher(sp), plan));
            siloBuilder.Services.AddSingleton<IEventReaction>(new PoisonReaction(plan));

            // Stored as in production: Orleans' serializer, keyed by [Id] and [Alias].
            siloBuilder.Services.AddOptions<MemoryGrainStorageOptions>(InnerStorage)
                .Configure<OrleansGrainStorageSerializer>((o, serializer) => o.GrainStorageSerializer = serializer);
            siloBuilder.AddOrleansSessionsCommon();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FaultClusterCollection : ICollectionFixture<FaultClusterFixture>
{
    public const string Name = "fault cluster";
}
