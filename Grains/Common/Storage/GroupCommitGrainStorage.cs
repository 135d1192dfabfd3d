using System.Data;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace OrleansSessions.Common.Storage;

/// <summary>
/// Grain state in PostgreSQL with group commit: writes and deletes of many grains that arrive while a commit is in
/// flight go together, in one round trip and one transaction (an <see cref="NpgsqlBatch"/>: one Sync, so PostgreSQL
/// runs it as one implicit transaction and flushes its WAL once). Every caller hears back only after that commit.
/// <para>
/// Rows, versions and payloads are those of Orleans' ADO.NET grain storage over <c>orleans.sql</c> (the same table,
/// key columns and hashes (<see cref="StorageRowKey"/>), the same serializer, and the very functions its queries
/// call), so either provider reads what the other wrote. Each row keeps its own version check: those functions never
/// raise an error on a version mismatch or a racing first write (an <c>INSERT … ON CONFLICT DO NOTHING</c> and an
/// <c>UPDATE … WHERE Version = expected</c> answer NULL), so one stale row fails alone with
/// <see cref="InconsistentStateException"/> while the others commit. Savepoints per row would isolate the same cases
/// but cost a subtransaction each (beyond 64 per transaction PostgreSQL's snapshots slow down for everyone).
/// A statement that does raise an error (a key too long for its column, a deadlock victim) rolls the whole batch back;
/// that row alone then fails with the server's error and the rest are sent again, so no row ever fails for another.
/// </para>
/// <para>
/// A failure of the connection itself fails every row of the batch with the driver's exception, which
/// <see cref="StoreOutageGrainStorage"/> classifies as for a single write: refused before anything was sent (no
/// connection, request not written out: without its Sync nothing commits) is not applied; lost while the answer was
/// awaited is unknown, since the commit may have happened.
/// </para>
/// <para>
/// No timer: a write that finds fewer than <see cref="PostgresStorageOptions.MaxConcurrentCommits"/> commits in flight
/// starts one at once (an idle database sees every write immediately); otherwise it waits for the next free commit,
/// which takes everything gathered meanwhile, up to <see cref="PostgresStorageOptions.MaxBatchRows"/> rows and
/// <see cref="PostgresStorageOptions.MaxBatchBytes"/>. Reads go one by one.
/// </para>
/// </summary>
public sealed class GroupCommitGrainStorage : IGrainStorage
{
    private const string ReadSql = "SELECT PayloadBinary, Version FROM orleans_storage_read($1, $2, $3, $4, $5)";
    private const string WriteSql = "SELECT NewGrainStateVersion FROM orleans_storage_write($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    private const string DeleteSql = "SELECT NewGrainStateVersion FROM orleans_storage_delete($1, $2, $3, $4, $5, $6)";

    private readonly string connectionString;
    private readonly string serviceId;
    private readonly IGrainStorageSerializer serializer;
    private readonly IActivatorProvider activators;
    private readonly PostgresStorageOptions options;

    private readonly Lock gate = new();
    private readonly Queue<RowChange> waiting = new();
    private int committing;

    public GroupCommitGrainStorage(
        string connectionString, string serviceId, IGrainStorageSerializer serializer, IActivatorProvider activators, PostgresStorageOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(activators);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.connectionString = connectionString;
        this.serviceId = serviceId;
        this.serializer = serializer;
        this.activators = activators;
        this.options = options;
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = StorageRowKey.Of(stateName, grainId);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(ReadSql, connection);
        AddKey(command.Parameters, key);
        await using var reader = await command.ExecuteReaderAsync();
        byte[]? payload = null;
        string? etag = null;
        if (await reader.ReadAsync())
        {
            payload = reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0);
            etag = reader.GetInt32(1).ToString(CultureInfo.InvariantCulture);
        }

        // A row without payload (cleared without delete) keeps its version but reads as absent, as with ADO.NET.
        grainState.State = payload is null ? activators.GetActivator<T>().Create() : serializer.Deserialize<T>(new BinaryData(payload));
        grainState.ETag = etag;
        grainState.RecordExists = payload is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var expected = ExpectedVersion(grainState.ETag);
        var written = await Enqueue(new RowChange(StorageRowKey.Of(stateName, grainId), expected, serializer.Serialize(grainState.State).ToArray()));
        if (written is not { } version)
        {
            throw Conflict("WriteState", stateName, grainId, grainState.ETag);
        }

        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>Deletes the row (the product clears with delete only), with the ADO.NET provider's checks.</summary>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (!grainState.RecordExists && string.IsNullOrWhiteSpace(grainState.ETag))
        {
            // Not known to be stored: nothing to clear unless a row turns up.
            await ReadStateAsync(stateName, grainId, grainState);
            if (!grainState.RecordExists)
            {
                return;
            }
        }

        var expected = ExpectedVersion(grainState.ETag);
        var deleted = await Enqueue(new RowChange(StorageRowKey.Of(stateName, grainId), expected, Payload: null));
        if (deleted is null || deleted == expected)
        {
            throw Conflict("ClearState", stateName, grainId, grainState.ETag);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = activators.GetActivator<T>().Create();
    }

    private static int? ExpectedVersion(string? etag)
        => string.IsNullOrWhiteSpace(etag) ? null : int.Parse(etag, CultureInfo.InvariantCulture);

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? etag)
        => new($"Version conflict ({operation}): ServiceId={serviceId} State={stateName} GrainId={grainId} ETag={etag}.");

    /// <summary>Queues a change (synchronously, in the caller's turn) and starts a commit if one may start now.</summary>
    private Task<int?> Enqueue(RowChange change)
    {
        bool start;
        lock (gate)
        {
            waiting.Enqueue(change);
            start = committing < options.MaxConcurrentCommits;
            if (start)
            {
                committing++;
            }
        }

        if (start)
        {
            // Off the grain's scheduler: the commit loop serves every grain.
            _ = Task.Run(CommitLoopAsync);
        }

        return change.Done.Task;
    }

    /// <summary>Commits what is waiting, batch after batch, on one connection, until nothing is left.</summary>
    private async Task CommitLoopAsync()
    {
        NpgsqlConnection? connection = null;
        try
        {
            while (TakeBatch() is { } batch)
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(connectionString);
                        await connection.OpenAsync();
                    }

                    await CommitAsync(connection, batch);
                }
                catch (Exception e)
                {
                    foreach (var change in batch)
                    {
                        change.Done.TrySetException(e);
                    }

                    // The connection may be broken: the next batch opens another.
                    await connection.DisposeQuietlyAsync();
                    connection = null;
                }
            }
        }
        finally
        {
            await connection.DisposeQuietlyAsync();
        }
    }

    /// <summary>The next batch, in key order; null (and one commit slot fewer) when nothing waits.</summary>
    private List<RowChange>? TakeBatch()
    {
        lock (gate)
        {
            if (waiting.Count == 0)
            {
                committing--;
                return null;
            }

            var batch = new List<RowChange>(Math.Min(waiting.Count, options.MaxBatchRows));
            long bytes = 0;
            while (waiting.TryPeek(out var next) && batch.Count < options.MaxBatchRows
                   && (batch.Count == 0 || bytes + next.Bytes <= options.MaxBatchBytes))
            {
                batch.Add(waiting.Dequeue());
                bytes += next.Bytes;
            }

            // Stable: two changes of one row keep their order.
            return [.. batch.Order(RowChange.ByKey)];
        }
    }

    private async Task CommitAsync(NpgsqlConnection connection, List<RowChange> batch)
    {
        var rows = batch;
        while (rows.Count > 0)
        {
            await using var sql = new NpgsqlBatch(connection);
            foreach (var change in rows)
            {
                sql.BatchCommands.Add(Command(change));
            }

            var versions = new int?[rows.Count];
            var answered = 0;
            try
            {
                // Two statement texts in all: each connection parses and plans them once.
                await sql.PrepareAsync();
                await using (var reader = await sql.ExecuteReaderAsync())
                {
                    do
                    {
                        // A statement's error may come before its row or in its place: count it answered only after.
                        versions[answered] = await reader.ReadAsync() && !reader.IsDBNull(0) ? reader.GetInt32(0) : null;
                        answered++;
                    }
                    while (await reader.NextResultAsync());
                }
            }
            catch (PostgresException e) when (answered < rows.Count && e.InvariantSeverity == "ERROR" && connection.FullState == ConnectionState.Open)
            {
                // Results come in statement order, so the statement that raised it is the first one unanswered. Its
                // error rolled the whole transaction back: it fails alone, the rest go again.
                rows[answered].Done.TrySetException(e);
                rows = [.. rows.Where((_, i) => i != answered)];
                continue;
            }

            if (answered != rows.Count)
            {
                throw new InvalidOperationException($"PostgreSQL answered {answered} of {rows.Count} statements of a batch without an error.");
            }

            // The reader is closed: PostgreSQL has answered the Sync, i.e. committed.
            for (var i = 0; i < rows.Count; i++)
            {
                rows[i].Done.TrySetResult(versions[i]);
            }

            return;
        }
    }

    private NpgsqlBatchCommand Command(RowChange change)
    {
        var command = new NpgsqlBatchCommand(change.Payload is null ? DeleteSql : WriteSql);
        AddKey(command.Parameters, change.Key);
        if (change.Payload is null)
        {
            command.Parameters.Add(Nullable(NpgsqlDbType.Integer, change.Expected));
        }
        else
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = change.Key.IdHash });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = change.Key.TypeHash });
            command.Parameters.Add(Nullable(NpgsqlDbType.Integer, change.Expected));
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = change.Payload });
        }

        return command;
    }

    private void AddKey(NpgsqlParameterCollection parameters, StorageRowKey key)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = serviceId });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = key.StateName });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = key.N0 });
        parameters.Add(new NpgsqlParameter<long> { TypedValue = key.N1 });
        parameters.Add(Nullable(NpgsqlDbType.Text, key.Extension));
    }

    private static NpgsqlParameter Nullable(NpgsqlDbType type, object? value) => new() { NpgsqlDbType = type, Value = value ?? DBNull.Value };

    /// <summary>A write (payload) or delete (none) of one row, and the caller waiting for its new version (null: conflict).</summary>
    private sealed record RowChange(StorageRowKey Key, int? Expected, byte[]? Payload)
    {
        public static readonly IComparer<RowChange> ByKey = Comparer<RowChange>.Create((a, b) => StorageRowKey.Compare(a.Key, b.Key));

        public TaskCompletionSource<int?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Bytes => Payload?.Length ?? 0;
    }
}

internal static class ConnectionExtensions
{
    /// <summary>Closes a connection that may already be broken; its failure is the batch's, reported already.</summary>
    public static async ValueTask DisposeQuietlyAsync(this NpgsqlConnection? connection)
    {
        if (connection is null)
        {
            return;
        }

        try
        {
            await connection.DisposeAsync();
        }
        catch (Exception)
        {
            // Nothing left to tell anyone.
        }
    }
}
