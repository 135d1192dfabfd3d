using System.Text;

namespace OrleansSessions.Common.Events;

/// <summary>
/// Where events travel: each context has a fixed number of streams (its namespace, keys "0".."15"), and an aggregate
/// always publishes on the same one, chosen by a stable hash of its id. An aggregate's events stay in order without a
/// stream — and a pub-sub activation and row — per aggregate; consumers subscribe implicitly to the context's
/// namespace and get one activation per partition.
/// </summary>
public static class EventStreams
{
    public const int Partitions = 16;

    /// <summary>The stream key (within the context's namespace) an aggregate's events travel on.</summary>
    public static string KeyFor(string aggregateId) => PartitionOf(aggregateId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>FNV-1a over the id's UTF-8 bytes: the same partition in every process and every version of .NET.</summary>
    public static int PartitionOf(string aggregateId)
    {
        ArgumentNullException.ThrowIfNull(aggregateId);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(aggregateId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash % Partitions);
    }
}
