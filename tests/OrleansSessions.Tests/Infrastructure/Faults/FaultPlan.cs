using System.Collections.Concurrent;
using System.Net.Sockets;
using Npgsql;
using Orleans.Storage;

namespace OrleansSessions.Tests.Infrastructure.Faults;

/// <summary>A grain storage call as the fault harness sees it.</summary>
public sealed record StorageCall(StorageOperation Operation, string StateName, GrainId GrainId, object? State);

public enum StorageOperation
{
    Read,
    Write,
    Clear,
}

/// <summary>What a rule does to the call it matches.</summary>
public enum FaultMode
{
    /// <summary>Fails before the store is touched, as a refused connection does: provably not applied.</summary>
    FailBefore,

    /// <summary>Applies the call, then fails as a connection dropped while waiting for the answer: applied, outcome unknown.</summary>
    FailAfter,

    /// <summary>Fails with a version conflict (another activation wrote first); nothing applied.</summary>
    Conflict,

    /// <summary>Lets the call through untouched once <see cref="FaultRule.Release"/> is called: an interleaving point.</summary>
    Block,
}

/// <summary>One injected fault: which calls it matches, what it does, and how many times.</summary>
public sealed class FaultRule(Func<StorageCall, bool> match, FaultMode mode, int times)
{
    private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int total = times;
    private int remaining = times;

    public FaultMode Mode { get; } = mode;

    /// <summary>How many calls the rule has acted on.</summary>
    public int Hits => total - Math.Max(0, Volatile.Read(ref remaining));

    /// <summary>Completes when a matching call arrives (for <see cref="FaultMode.Block"/>: while it is held).</summary>
    public Task Reached => reached.Task;

    /// <summary>Lets a blocked call go on.</summary>
    public void Release() => released.TrySetResult();

    internal bool TryTake(StorageCall call)
    {
        if (Volatile.Read(ref remaining) <= 0 || !match(call))
        {
            return false;
        }

        if (Interlocked.Decrement(ref remaining) < 0)
        {
            return false;
        }

        reached.TrySetResult();
        return true;
    }

    internal Task WaitForReleaseAsync() => released.Task;
}

/// <summary>
/// The faults planned for one test cluster (keyed by cluster id, so clusters running in parallel never see each
/// other's). Tests add rules; the storage and publisher wrappers consult them on every call.
/// </summary>
public sealed class FaultPlan
{
    private static readonly ConcurrentDictionary<string, FaultPlan> Plans = new();
    private readonly ConcurrentQueue<FaultRule> storageRules = new();
    private readonly ConcurrentQueue<PublishRule> publishRules = new();

    public static FaultPlan For(string clusterId) => Plans.GetOrAdd(clusterId, _ => new FaultPlan());

    /// <summary>Aggregates whose events the test consumer (<see cref="PoisonReaction"/>) fails on: a poison event.</summary>
    public ConcurrentDictionary<string, bool> Poisoned { get; } = new(StringComparer.Ordinal);

    /// <summary>Acts on the next <paramref name="times"/> storage calls that match.</summary>
    public FaultRule OnStorage(Func<StorageCall, bool> match, FaultMode mode, int times = 1)
    {
        var rule = new FaultRule(match, mode, times);
        storageRules.Enqueue(rule);
        return rule;
    }

    /// <summary>Fails the next <paramref name="times"/> publishes of events that match, before they are delivered.</summary>
    public PublishRule OnPublish(Func<object?, bool> match, int times = 1)
    {
        var rule = new PublishRule(match, times);
        publishRules.Enqueue(rule);
        return rule;
    }

    internal FaultRule? TakeStorageRule(StorageCall call) => storageRules.FirstOrDefault(r => r.TryTake(call));

    internal bool TakePublishFault(object? item) => publishRules.Any(r => r.TryTake(item));

    /// <summary>What a refused connection looks like from Npgsql: nothing was sent.</summary>
    internal static Exception ConnectionRefused()
        => new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused));

    /// <summary>What a connection dropped mid-statement looks like from Npgsql: the statement may have been committed.</summary>
    internal static Exception ConnectionLost()
        => new NpgsqlException("Exception while reading from stream", new IOException("Unable to read data from the transport connection: Connection reset by peer."));

    internal static Exception VersionConflict() => new InconsistentStateException("Version conflict injected by the fault plan.");
}

/// <summary>Fails publishes of matching events.</summary>
public sealed class PublishRule(Func<object?, bool> match, int times)
{
    private readonly int total = times;
    private int remaining = times;

    public int Hits => total - Math.Max(0, Volatile.Read(ref remaining));

    internal bool TryTake(object? item)
        => Volatile.Read(ref remaining) > 0 && match(item) && Interlocked.Decrement(ref remaining) >= 0;
}
