using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using OrleansSessions.Common;
using OrleansSessions.Common.Storage;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Storage;

/// <summary>A PostgreSQL TestCluster whose grain state goes through Orleans' ADO.NET provider, the one-write path.</summary>
public sealed class AdoNetStorageFixture : ClusterFixture<PostgresSiloConfigurator>
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { [$"{PostgresStorageOptions.SectionName}:Mode"] = nameof(PostgresStorageMode.AdoNet) };
}

[CollectionDefinition(Name)]
public sealed class AdoNetStorageCollection : ICollectionFixture<AdoNetStorageFixture>
{
    public const string Name = "postgres cluster, ADO.NET storage";
}

public static class GroupCommitStorages
{
    /// <summary>
    /// A group-commit storage of its own (its own service id, so its rows are its own), wrapped as the silo wraps it,
    /// with the serializer of a running silo; one commit at a time, so the batches a test sees are predictable.
    /// </summary>
    public static IGrainStorage Create(
        IServiceProvider silo, string serviceId, string? connectionString = null, int maxBatchRows = 256)
        => new StoreOutageGrainStorage(new GroupCommitGrainStorage(
            connectionString ?? TestDatabase.ConnectionString,
            serviceId,
            silo.GetRequiredService<OrleansGrainStorageSerializer>(),
            silo.GetRequiredService<IActivatorProvider>(),
            new PostgresStorageOptions { MaxBatchRows = maxBatchRows, MaxConcurrentCommits = 1 }));
}

/// <summary>
/// A transaction of the test's own that holds storage rows, so that a batch which reaches them waits in PostgreSQL:
/// to gather writes into one batch behind it, or to take the database away while a batch is in flight.
/// </summary>
public sealed class RowHolder : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;

    private RowHolder(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        this.connection = connection;
        this.transaction = transaction;
    }

    public static async Task<RowHolder> BeginAsync()
    {
        var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        return new RowHolder(connection, await connection.BeginTransactionAsync());
    }

    /// <summary>Locks a stored row: a write of it waits until this transaction ends.</summary>
    public async Task LockAsync(string serviceId, string stateName, GrainId grain)
    {
        var locked = await ScalarAsync(
            """
            SELECT count(*) FROM (SELECT 1 FROM OrleansStorage
             WHERE ServiceId = $1 AND GrainTypeString = $2 AND GrainIdN0 = $3 AND GrainIdN1 = $4
               AND GrainIdExtensionString IS NOT DISTINCT FROM $5 FOR UPDATE) AS held
            """,
            Key(serviceId, stateName, grain));
        Assert.True(locked == 1, $"grain {grain}: no stored row to lock");
    }

    /// <summary>Writes a first version without committing: a racing first write of the same row waits, then loses.</summary>
    public async Task WriteFirstAsync(string serviceId, string stateName, GrainId grain, byte[] payload)
    {
        var key = StorageRowKey.Of(stateName, grain);
        var version = await ScalarAsync(
            "SELECT NewGrainStateVersion FROM orleans_storage_write($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
            [.. Key(serviceId, stateName, grain), key.IdHash, key.TypeHash, payload]);
        Assert.True(version == 1, $"grain {grain}: the holder's first write did not insert");
    }

    /// <summary>Waits until another connection waits for this transaction.</summary>
    public Task WaitUntilBlockingAsync() => Poll.UntilAsync(
        async () => await TestDatabase.ScalarAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE @holder = ANY (pg_blocking_pids(pid))", ("holder", connection.ProcessID)) > 0,
        TimeSpan.FromSeconds(20),
        $"a batch to wait for the rows held by backend {connection.ProcessID}");

    public Task CommitAsync() => transaction.CommitAsync();

    public Task RollbackAsync() => transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }

    private static object[] Key(string serviceId, string stateName, GrainId grain)
    {
        var key = StorageRowKey.Of(stateName, grain);
        return [serviceId, stateName, key.N0, key.N1, (object?)key.Extension ?? DBNull.Value];
    }

    private async Task<long> ScalarAsync(string sql, object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
