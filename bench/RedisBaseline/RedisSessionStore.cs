using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using StackExchange.Redis;

namespace OrleansSessions.Bench.RedisBaseline;

/// <summary>Request to create a session; the same shape as the OrleansSessions API (other fields are ignored).</summary>
public sealed record CreateSessionRequest(Dictionary<string, JsonElement>? Attributes);

/// <summary>Sessions as Redis hashes: field <c>created</c> (Unix ms) and one field <c>a:{key}</c> per attribute (raw JSON).</summary>
internal sealed class RedisSessionStore(IDatabase db, TimeSpan idleTimeout)
{
    private const string CreatedField = "created";
    private const string AttributePrefix = "a:";

    // Set one attribute of an existing session and slide its TTL in one round trip, atomically: a write to an
    // unknown or expired id must not create a stray hash (nil => 404). StackExchange.Redis sends it as EVALSHA.
    private const string SetAttributeScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return false end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return redis.call('HGETALL', KEYS[1])
        """;

    public TimeSpan IdleTimeout => idleTimeout;

    /// <summary>256 random bits, base64url: 43 characters, like OrleansSessions' ids.</summary>
    public static string NewId() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static bool IsWellFormed(string id)
    {
        if (id.Length != 43)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }

    public async Task<HashEntry[]> CreateAsync(string id, Dictionary<string, JsonElement>? attributes)
    {
        var entries = new HashEntry[1 + (attributes?.Count ?? 0)];
        entries[0] = new HashEntry(CreatedField, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var i = 1;
        foreach (var (name, value) in attributes ?? [])
        {
            entries[i++] = new HashEntry(AttributePrefix + name, value.GetRawText());
        }

        // HSET + EXPIRE pipelined in one round trip (as Spring Session does).
        var batch = db.CreateBatch();
        var set = batch.HashSetAsync(Key(id), entries);
        var expire = batch.KeyExpireAsync(Key(id), idleTimeout);
        batch.Execute();
        await Task.WhenAll(set, expire);
        return entries;
    }

    /// <summary>Reads the session and slides its TTL (HGETALL + EXPIRE pipelined); null when unknown or expired.</summary>
    public async Task<HashEntry[]?> GetAsync(string id)
    {
        var batch = db.CreateBatch();
        var all = batch.HashGetAllAsync(Key(id));
        var expire = batch.KeyExpireAsync(Key(id), idleTimeout);
        batch.Execute();
        await Task.WhenAll(all, expire);
        var entries = await all;
        return entries.Length == 0 ? null : entries;
    }

    /// <summary>Sets one attribute and slides the TTL; the session as it now is, or null when unknown or expired.</summary>
    public async Task<HashEntry[]?> SetAttributeAsync(string id, string key, string json)
    {
        var result = await db.ScriptEvaluateAsync(
            SetAttributeScript,
            [Key(id)],
            [AttributePrefix + key, json, (long)idleTimeout.TotalSeconds]);
        if (result.IsNull)
        {
            return null;
        }

        var flat = (RedisResult[])result!;
        var entries = new HashEntry[flat.Length / 2];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new HashEntry((RedisValue)flat[2 * i], (RedisValue)flat[(2 * i) + 1]);
        }

        return entries;
    }

    /// <summary>Writes <c>{"id","attributes":{...},"createdAt","expiresAt"}</c>; attribute values are copied as raw JSON.</summary>
    public static async Task WriteAsync(HttpContext http, int status, string id, HashEntry[] entries, TimeSpan idleTimeout)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        long created = 0;
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteStartObject("attributes");
            foreach (var entry in entries)
            {
                var name = (string)entry.Name!;
                if (name.StartsWith(AttributePrefix, StringComparison.Ordinal))
                {
                    json.WritePropertyName(name.AsSpan(AttributePrefix.Length));
                    json.WriteRawValue((byte[])entry.Value!, skipInputValidation: true);
                }
                else if (name == CreatedField)
                {
                    created = (long)entry.Value;
                }
            }

            json.WriteEndObject();
            json.WriteString("createdAt", DateTimeOffset.FromUnixTimeMilliseconds(created));
            json.WriteString("expiresAt", DateTimeOffset.UtcNow + idleTimeout);
            json.WriteEndObject();
        }

        await JsonResponse.WriteAsync(http, status, buffer.WrittenMemory);
    }

    private static RedisKey Key(string id) => "session:" + id;
}
