using System.Data.Common;
using System.Net.Sockets;
using Npgsql;
using Orleans.Storage;

namespace OrleansSessions.Common;

/// <summary>
/// Wraps a grain storage so that a store that cannot be reached surfaces as an outage callers can act on, instead of
/// a driver exception they cannot tell from a bug (or even deserialize in another process):
/// <list type="bullet">
/// <item><see cref="StoreUnavailableException"/> when nothing can have been written: any failed read, a write whose
/// connection could not be opened, or a write the server refused with an error of its own (its transaction rolled back);</item>
/// <item><see cref="StoreOutcomeUnknownException"/> when a write was sent and the answer was lost (connection dropped,
/// timeout): PostgreSQL may have committed it.</item>
/// </list>
/// A version conflict (<see cref="InconsistentStateException"/>) passes through unchanged.
/// </summary>
public sealed class StoreOutageGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private static readonly string[] NotSent = ["Failed to connect to", "Exception while writing to stream"];

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => Translate(() => inner.ReadStateAsync(stateName, grainId, grainState), isWrite: false);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => Translate(() => inner.WriteStateAsync(stateName, grainId, grainState), isWrite: true);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => Translate(() => inner.ClearStateAsync(stateName, grainId, grainState), isWrite: true);

    /// <summary>Whether the failure is the store being away (as opposed to a bug), and if so whether a write may have landed.</summary>
    public static StoreFailure Classify(Exception exception)
    {
        var outage = false;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case InconsistentStateException:
                    return StoreFailure.None;

                // The server answered the statement with an error: it was not committed.
                case PostgresException:
                    return StoreFailure.NotApplied;

                // No connection could be opened, or the request could not be written out: the statement never arrived
                // whole, and without its final Sync message PostgreSQL commits nothing. (Npgsql tells these apart from
                // a lost answer only by its message.)
                case NpgsqlException when NotSent.Any(m => e.Message.StartsWith(m, StringComparison.Ordinal)):
                    return StoreFailure.NotApplied;

                // No connection: nothing was sent.
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable
                    or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.TryAgain or SocketError.AddressNotAvailable }:
                    return StoreFailure.NotApplied;

                case DbException or SocketException or IOException or TimeoutException:
                    outage = true;
                    break;
            }
        }

        return outage ? StoreFailure.Unknown : StoreFailure.None;
    }

    private static async Task Translate(Func<Task> operation, bool isWrite)
    {
        try
        {
            await operation();
        }
        catch (Exception e) when (Classify(e) is not StoreFailure.None and var failure)
        {
            // The driver's exception stays here: callers (other processes) may not be able to deserialize it.
            var cause = $"{e.GetType().Name}: {e.Message}";
            throw isWrite && failure == StoreFailure.Unknown
                ? new StoreOutcomeUnknownException($"The durable store stopped answering during a write ({cause}); it may or may not have been applied.")
                : new StoreUnavailableException($"The durable store is unavailable ({cause}); nothing was {(isWrite ? "written" : "read")}.");
        }
    }
}

/// <summary>What a store failure means for the write that met it.</summary>
public enum StoreFailure
{
    /// <summary>Not a store outage.</summary>
    None,

    /// <summary>The write provably did not reach the database (or the database refused it).</summary>
    NotApplied,

    /// <summary>The write was in flight: it may have been committed.</summary>
    Unknown,
}
