namespace OrleansSessions.Common.Storage;

/// <summary>How grain state reaches PostgreSQL (configuration section <c>Orleans:Storage</c>).</summary>
public sealed class PostgresStorageOptions
{
    public const string SectionName = "Orleans:Storage";

    public PostgresStorageMode Mode { get; set; } = PostgresStorageMode.GroupCommit;

    /// <summary>Most rows one commit carries; what arrives beyond it waits for the next.</summary>
    public int MaxBatchRows { get; set; } = 256;

    /// <summary>Most payload bytes one commit carries (a single larger row still goes, alone).</summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Commits in flight at once, each on its own connection; writes arriving meanwhile gather for the next.</summary>
    public int MaxConcurrentCommits { get; set; } = 2;

    public void Validate()
    {
        if (MaxBatchRows < 1 || MaxBatchBytes < 1 || MaxConcurrentCommits < 1)
        {
            throw new InvalidOperationException(
                $"{SectionName}: MaxBatchRows, MaxBatchBytes and MaxConcurrentCommits must be at least 1.");
        }
    }
}

public enum PostgresStorageMode
{
    /// <summary>Writes of many grains share one round trip and one transaction (<see cref="GroupCommitGrainStorage"/>).</summary>
    GroupCommit,

    /// <summary>Orleans' ADO.NET provider: one round trip and one transaction per write.</summary>
    AdoNet,

    /// <summary>
    /// For benchmarks only: grain state in this silo's memory, everything else (membership, reminders, streams) in
    /// PostgreSQL. Beside the same silo on PostgreSQL it shows what durability costs; nothing it acknowledges survives it.
    /// </summary>
    InMemory,
}
