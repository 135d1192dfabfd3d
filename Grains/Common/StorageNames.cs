namespace OrleansSessions.Common;

/// <summary>Names of the grain storage providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>Grain state of every context (PostgreSQL in cluster mode, memory in embedded mode).</summary>
    public const string State = "state";
}
