using Npgsql;
using Orleans.TestingHost;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL-backed TestCluster that reaches the database through a <see cref="TcpProxy"/>, so a test can take the
/// database away (<see cref="TcpProxy.Cut"/>) and bring it back without touching the server other tests share.
/// Short connect and command timeouts make an outage show within seconds.
/// </summary>
public sealed class ProxiedPostgresCluster : IAsyncLifetime
{
    public TcpProxy Proxy { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>
    /// Cuts the proxy and drops pooled connections: every statement from now on fails to connect, so its outcome is
    /// known (not applied). A statement cut mid-flight (outcome unknown) is the fault harness's to test.
    /// </summary>
    public void TakeDatabaseAway()
    {
        Proxy.Cut();
        NpgsqlConnection.ClearAllPools();
    }

    public async Task InitializeAsync()
    {
        var database = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        Proxy = new TcpProxy("127.0.0.1", database.Port);
        database.Port = Proxy.Port;
        database.Timeout = 2;
        database.CommandTimeout = 5;
        Cluster = await TestClusters.StartAsync<PostgresSiloConfigurator>(TestDatabase.UniqueId("outage"), database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        Proxy.Restore();
        await Cluster.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}
