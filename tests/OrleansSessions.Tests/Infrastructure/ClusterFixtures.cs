using Microsoft.Extensions.Configuration;
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
            .AddOrleansSessionsCommon();
    }
}

/// <summary>A TestCluster whose silos keep state and reminders in the real PostgreSQL with orleans.sql loaded.</summary>
public sealed class PostgresClusterFixture : ClusterFixture<PostgresSiloConfigurator>;

/// <summary>PostgreSQL storage; <c>ConnectionStrings:Orleans</c> in the cluster's configuration overrides the test database.</summary>
public sealed class PostgresSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddPostgresStorage(
        siloBuilder.Configuration.GetConnectionString(ClusterSettings.ConnectionStringName) ?? TestDatabase.ConnectionString);
}

public abstract class ClusterFixture<TConfigurator> : IAsyncLifetime
    where TConfigurator : ISiloConfigurator, new()
{
    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>The primary silo's services (grain storage providers and the like).</summary>
    public IServiceProvider SiloServices => Cluster.GetSiloServiceProvider();

    public async Task InitializeAsync() => Cluster = await TestClusters.StartAsync<TConfigurator>(TestDatabase.UniqueId("svc"));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public static class TestClusters
{
    /// <summary>Starts a two-silo TestCluster with the given service id, which keys stored state.</summary>
    public static async Task<TestCluster> StartAsync<T>(string serviceId, string? connectionString = null)
        where T : ISiloConfigurator, new()
    {
        var builder = new TestClusterBuilder(initialSilosCount: 2);
        if (connectionString is not null)
        {
            builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(
                [new($"ConnectionStrings:{ClusterSettings.ConnectionStringName}", connectionString)]));
        }

        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = TestDatabase.UniqueId("cluster");
        builder.AddSiloBuilderConfigurator<T>();
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
