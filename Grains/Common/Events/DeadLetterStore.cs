using System.Collections.Concurrent;
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

/// <summary>Dead letters of the embedded mode and the memory test clusters: in this process, gone with it.</summary>
public sealed class InMemoryDeadLetterStore(TimeProvider time) : IDeadLetterStore
{
    private readonly ConcurrentDictionary<long, DeadLetter> letters = new();
    private long lastId;

    public Task<DeadLetter> AddAsync(string consumer, EventEnvelope envelope, string error, int attempts)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var existing = letters.Values.FirstOrDefault(l => l.Consumer == consumer && l.Envelope.EventId == envelope.EventId);
        var letter = existing is null
            ? new DeadLetter(Interlocked.Increment(ref lastId), consumer, envelope, error, attempts, time.GetUtcNow())
            : existing with { Error = error, Attempts = existing.Attempts + attempts };
        letters[letter.Id] = letter;
        return Task.FromResult(letter);
    }

    public Task<ImmutableArray<DeadLetter>> ListAsync(int limit)
        => Task.FromResult(letters.Values.OrderBy(l => l.Id).Take(limit).ToImmutableArray());

    public Task<DeadLetter?> GetAsync(long id) => Task.FromResult(letters.TryGetValue(id, out var letter) ? letter : null);

    public Task RemoveAsync(long id)
    {
        letters.TryRemove(id, out _);
        return Task.CompletedTask;
    }
}
