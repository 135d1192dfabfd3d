using System.Collections.Immutable;
using Npgsql;
using Orleans.Serialization;

namespace OrleansSessions.Common.Events;

/// <summary>Where consumers set aside the events they keep failing on.</summary>
public interface IDeadLetterStore
{
    /// <summary>Stores a letter (once per consumer and event id) and returns it with its id.</summary>
    Task<DeadLetter> AddAsync(string consumer, EventEnvelope envelope, string error, int attempts);

    Task<ImmutableArray<DeadLetter>> ListAsync(int limit);

    Task<DeadLetter?> GetAsync(long id);

    Task RemoveAsync(long id);
}

/// <summary>Dead letters in the table <c>orleanssessions_dead_letters</c> (orleans.sql), envelopes in Orleans' binary form.</summary>
public sealed class PostgresDeadLetterStore(string connectionString, Serializer<EventEnvelope> serializer, TimeProvider time) : IDeadLetterStore
{
    public async Task<DeadLetter> AddAsync(string consumer, EventEnvelope envelope, string error, int attempts)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO orleanssessions_dead_letters (consumer, event_id, event_type, aggregate_id, sequence, envelope, error, attempts, created_at)
            VALUES (@consumer, @event_id, @event_type, @aggregate_id, @sequence, @envelope, @error, @attempts, @at)
            ON CONFLICT (consumer, event_id) DO UPDATE SET error = EXCLUDED.error, attempts = orleanssessions_dead_letters.attempts + EXCLUDED.attempts
            RETURNING id, created_at
            """,
            connection);
        command.Parameters.AddWithValue("consumer", consumer);
        command.Parameters.AddWithValue("event_id", envelope.EventId);
        command.Parameters.AddWithValue("event_type", envelope.Type);
        command.Parameters.AddWithValue("aggregate_id", envelope.AggregateId);
        command.Parameters.AddWithValue("sequence", envelope.Sequence);
        command.Parameters.AddWithValue("envelope", serializer.SerializeToArray(envelope));
        command.Parameters.AddWithValue("error", error);
        command.Parameters.AddWithValue("attempts", attempts);
        command.Parameters.AddWithValue("at", time.GetUtcNow());
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DeadLetter(reader.GetInt64(0), consumer, envelope, error, attempts, reader.GetFieldValue<DateTimeOffset>(1));
    }

    public async Task<ImmutableArray<DeadLetter>> ListAsync(int limit)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, consumer, envelope, error, attempts, created_at FROM orleanssessions_dead_letters ORDER BY id LIMIT @limit", connection);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAsync(command);
    }

    public async Task<DeadLetter?> GetAsync(long id)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, consumer, envelope, error, attempts, created_at FROM orleanssessions_dead_letters WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        var letters = await ReadAsync(command);
        return letters.IsEmpty ? null : letters[0];
    }

    public async Task RemoveAsync(long id)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("DELETE FROM orleanssessions_dead_letters WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<ImmutableArray<DeadLetter>> ReadAsync(NpgsqlCommand command)
    {
        var letters = ImmutableArray.CreateBuilder<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            letters.Add(new DeadLetter(
                reader.GetInt64(0),
                reader.GetString(1),
                serializer.Deserialize(reader.GetFieldValue<byte[]>(2))!,
                reader.GetString(3),
                reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return letters.ToImmutable();
    }
}

/// <summary>
/// Dead letters without PostgreSQL (the embedded mode, memory test clusters): kept by one grain in the cluster's grain
/// storage, so every silo's consumers and the operator see the same letters.
/// </summary>
public sealed class GrainDeadLetterStore(IGrainFactory grains) : IDeadLetterStore
{
    private IDeadLetterBoxGrain Box => grains.GetGrain<IDeadLetterBoxGrain>(0);

    public Task<DeadLetter> AddAsync(string consumer, EventEnvelope envelope, string error, int attempts) => Box.AddAsync(consumer, envelope, error, attempts);

    public Task<ImmutableArray<DeadLetter>> ListAsync(int limit) => Box.ListAsync(limit);

    public Task<DeadLetter?> GetAsync(long id) => Box.GetAsync(id);

    public Task RemoveAsync(long id) => Box.RemoveAsync(id);
}

[Alias("common.IDeadLetterBoxGrain")]
public interface IDeadLetterBoxGrain : IGrainWithIntegerKey
{
    [Alias("add")]
    Task<DeadLetter> AddAsync(string consumer, EventEnvelope envelope, string error, int attempts);

    [Alias("list")]
    Task<ImmutableArray<DeadLetter>> ListAsync(int limit);

    [Alias("get")]
    Task<DeadLetter?> GetAsync(long id);

    [Alias("remove")]
    Task RemoveAsync(long id);
}

[GenerateSerializer]
[Immutable]
[Alias("common.DeadLetterBoxState.v1")]
public sealed record DeadLetterBoxState
{
    [Id(0)]
    public long LastId { get; init; }

    [Id(1)]
    public ImmutableSortedDictionary<long, DeadLetter> Letters { get; init; } = ImmutableSortedDictionary<long, DeadLetter>.Empty;
}

public sealed class DeadLetterBoxGrain(
    [PersistentState("common.dead-letters", StorageNames.State)] IPersistentState<DeadLetterBoxState> box,
    [Microsoft.Extensions.DependencyInjection.FromKeyedServices(DomainClock.Key)] TimeProvider time)
    : Grain, IDeadLetterBoxGrain
{
    public async Task<DeadLetter> AddAsync(string consumer, EventEnvelope envelope, string error, int attempts)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var existing = box.State.Letters.Values.FirstOrDefault(l => l.Consumer == consumer && l.Envelope.EventId == envelope.EventId);
        var letter = existing is null
            ? new DeadLetter(box.State.LastId + 1, consumer, envelope, error, attempts, time.GetUtcNow())
            : existing with { Error = error, Attempts = existing.Attempts + attempts };
        await this.CommitAsync(box, box.State with { LastId = Math.Max(box.State.LastId, letter.Id), Letters = box.State.Letters.SetItem(letter.Id, letter) });
        return letter;
    }

    public Task<ImmutableArray<DeadLetter>> ListAsync(int limit) => Task.FromResult(box.State.Letters.Values.Take(limit).ToImmutableArray());

    public Task<DeadLetter?> GetAsync(long id) => Task.FromResult(box.State.Letters.GetValueOrDefault(id));

    public Task RemoveAsync(long id)
        => box.State.Letters.ContainsKey(id) ? this.CommitAsync(box, box.State with { Letters = box.State.Letters.Remove(id) }) : Task.CompletedTask;
}
