using System.Collections.Concurrent;
using System.Text;
using Orleans.Storage;

namespace OrleansSessions.Common.Storage;

/// <summary>
/// The key columns of a grain's row in <c>OrleansStorage</c>, derived from the grain id exactly as Orleans' ADO.NET
/// grain storage (10.4.2) derives them, so that rows written by either provider are the same rows:
/// <list type="bullet">
/// <item>Guid keys: <c>GrainIdN0</c>/<c>GrainIdN1</c> are the two little-endian halves of the Guid's bytes;</item>
/// <item>integer keys: <c>GrainIdN0</c> = 0, <c>GrainIdN1</c> = the key;</item>
/// <item>the key extension of either goes to <c>GrainIdExtensionString</c>; any other key is a string, stored whole
/// there, with both numbers 0;</item>
/// <item><c>GrainIdHash</c> hashes (with Orleans' stable hash) the key's bytes — the 8 bytes of the integer or the 16 of
/// the Guid followed by the extension in UTF-8, or the string key in UTF-8 — reversed on little-endian machines;
/// <c>GrainTypeHash</c> hashes the state name in UTF-8.</item>
/// </list>
/// </summary>
public readonly record struct StorageRowKey(string StateName, long N0, long N1, string? Extension, int IdHash, int TypeHash)
{
    private static readonly OrleansDefaultHasher Hasher = new();

    /// <summary>State names are the code's constants, a handful per silo: each is hashed once, not on every read and write.</summary>
    private static readonly ConcurrentDictionary<string, int> TypeHashes = new(StringComparer.Ordinal);

    public static StorageRowKey Of(string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);

        // The ADO.NET provider rewrites generic CLR type names it gets as "grain type"; state names here never are one.
        if (stateName.Contains('`', StringComparison.Ordinal))
        {
            throw new ArgumentException($"State name '{stateName}' looks like a generic type name, which this storage does not support.", nameof(stateName));
        }

        long n0 = 0, n1 = 0;
        string? extension;
        byte[] idBytes;
        if (grainId.TryGetGuidKey(out var guid, out extension))
        {
            idBytes = guid.ToByteArray();
            n0 = BitConverter.ToInt64(idBytes, 0);
            n1 = BitConverter.ToInt64(idBytes, 8);
        }
        else if (grainId.TryGetIntegerKey(out var integer, out extension))
        {
            n1 = integer;
            idBytes = BitConverter.GetBytes(integer);
        }
        else
        {
            extension = grainId.Key.ToString();
            idBytes = [];
        }

        if (extension is not null)
        {
            idBytes = [.. idBytes, .. Encoding.UTF8.GetBytes(extension)];
        }

        if (BitConverter.IsLittleEndian)
        {
            Array.Reverse(idBytes);
        }

        return new StorageRowKey(stateName, n0, n1, extension, Hasher.Hash(idBytes), TypeHashes.GetOrAdd(stateName, static name => Hasher.Hash(Encoding.UTF8.GetBytes(name))));
    }

    /// <summary>The order rows are written in within one commit, so concurrent commits lock rows in one order and never deadlock.</summary>
    public static int Compare(StorageRowKey a, StorageRowKey b)
    {
        var order = string.CompareOrdinal(a.StateName, b.StateName);
        if (order == 0)
        {
            order = a.N0.CompareTo(b.N0);
        }

        if (order == 0)
        {
            order = a.N1.CompareTo(b.N1);
        }

        return order != 0 ? order : string.CompareOrdinal(a.Extension, b.Extension);
    }

    public override string ToString() => $"{StateName}/{N0:x}/{N1:x}/{Extension}";
}
