using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansSessions.Hosting;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>A TestCluster whose silos keep state in memory, as in the embedded mode.</summary>
public sealed class MemoryClusterFixture : ClusterFixture<MemoryClusterFixture.Configurator>
{
    public sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder
            .AddMemoryGrainStorage(Common.StorageNames.State)
            .UseInMemoryReminderService()
            .AddMemoryStreams(Common.StreamNames.Provider)
            .AddMemoryGrainStorage("PubSubStore")
            .UseTestClock()
            .AddOrleansSessionsCommon();
    }
}

/// <summary>A TestCluster whose silos keep state and reminders in the real PostgreSQL with orleans.sql loaded.</summary>
public sealed class PostgresClusterFixture : ClusterFixture<PostgresSiloConfigurator>
{
    /// <summary>This cluster's stored rows of one grain: its state name and its key as stored.</summary>
    public Task<long> RowsAsync(string stateName, string storedKey) => TestDatabase.ScalarAsync(
        "select count(*) from orleansstorage where serviceid = @service and graintypestring = @type and grainidextensionstring = @id",
        ("service", Cluster.Options.ServiceId), ("type", stateName), ("id", storedKey));
}

/// <summary>PostgreSQL storage; <c>ConnectionStrings:Orleans</c> in the cluster's configuration overrides the test database.</summary>
public sealed class PostgresSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder) => siloBuilder
        .UseTestClock()
        .AddPostgresStorage(siloBuilder.Configuration.GetConnectionString(ClusterSettings.ConnectionStringName) ?? TestDatabase.ConnectionString);
}

public abstract class ClusterFixture<TConfigurator> : IAsyncLifetime
    where TConfigurator : ISiloConfigurator, new()
{
    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>The clock of this cluster's silos; tests move it instead of waiting.</summary>
    public FakeTimeProvider Clock => TestClocks.For(Cluster);

    /// <summary>The primary silo's services (grain storage providers and the like).</summary>
    public IServiceProvider SiloServices => Cluster.GetSiloServiceProvider();

    /// <summary>Configuration the silos get beyond the configurator's (none by default).</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    protected virtual short Silos => 2;

    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync<TConfigurator>(TestDatabase.UniqueId("svc"), settings: Settings, silos: Silos);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public static class TestClusters
{
    /// <summary>Starts a TestCluster (two silos unless told) with the given service id, which keys stored state.</summary>
    public static async Task<TestCluster> StartAsync<T>(
        string serviceId, string? connectionString = null, IReadOnlyDictionary<string, string?>? settings = null, short silos = 2)
        where T : ISiloConfigurator, new()
    {
        var builder = new TestClusterBuilder(initialSilosCount: silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = TestDatabase.UniqueId("cluster");
        var configuration = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            [TestClocks.ConfigurationKey] = builder.Options.ClusterId,
        };
        if (connectionString is not null)
        {
            configuration[$"ConnectionStrings:{ClusterSettings.ConnectionStringName}"] = connectionString;
        }

        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(configuration));
        builder.AddSiloBuilderConfigurator<T>();
        builder.AddClientBuilderConfigurator<StreamClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

[CollectionDefinition(Name)]
public sealed class MemoryClusterCollection : ICollectionFixture<MemoryClusterFixture>
{
    public const string Name = "memory cluster";
}

[CollectionDefinition(Name)]
public sealed class PostgresClusterCollection : ICollectionFixture<PostgresClusterFixture>
{
    public const string Name = "postgres cluster";
}

/// <summary>Lets the test's cluster client subscribe to the events the silos publish.</summary>
public sealed class StreamClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
    {
        if (configuration.GetConnectionString(ClusterSettings.ConnectionStringName) is { } database)
        {
            clientBuilder.AddAdoNetStreams(Common.StreamNames.Provider, o =>
            {
                o.Invariant = ClusterSettings.Invariant;
                o.ConnectionString = database;
            });
        }
        else
        {
            clientBuilder.AddMemoryStreams(Common.StreamNames.Provider);
        }
    }
}
