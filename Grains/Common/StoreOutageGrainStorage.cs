using System.Data.Common;
using System.Net.Sockets;
using Orleans.Storage;

namespace OrleansSessions.Common;

/// <summary>
/// Wraps a grain storage so that a store that cannot be reached surfaces as <see cref="StoreUnavailableException"/> —
/// on activation reads as on writes — instead of a driver exception callers cannot tell from a bug.
/// A refused request (<see cref="InconsistentStateException"/>) passes through unchanged.
/// </summary>
public sealed class StoreOutageGrainStorage(IGrainStorage inner) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => Translate(() => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => Translate(() => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => Translate(() => inner.ClearStateAsync(stateName, grainId, grainState));

    private static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task Translate(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (Exception e) when (e is not InconsistentStateException && IsOutage(e))
        {
            // The driver's exception stays here: callers (other processes) may not be able to deserialize it.
            throw new StoreUnavailableException($"The durable store is unavailable ({e.GetType().Name}: {e.Message}); nothing was read or written.");
        }
    }
}
