using System.Runtime.ExceptionServices;
using Orleans.Storage;

namespace OrleansSessions.Common;

public static class PersistentStateExtensions
{
    /// <summary>
    /// Stores <paramref name="next"/> and only then makes it the grain's state: a failed write leaves the activation
    /// with the last stored state, so nothing unacknowledged is ever served. When the write may have landed after all
    /// (<see cref="StoreOutcomeUnknownException"/>) or another activation wrote first (<see cref="InconsistentStateException"/>),
    /// memory can no longer be trusted to match the store: the activation is deactivated, so the next call reloads
    /// what is stored.
    /// </summary>
    /// <param name="reloadWhenUnknown">
    /// False for a write whose landing or not changes nothing that matters (an idle slide): the activation then stays,
    /// so it keeps serving from memory while the store is away; if the write did land, the next real write meets a
    /// version conflict and reloads then.
    /// </param>
    public static async Task CommitAsync<T>(this IGrainBase owner, IPersistentState<T> state, T next, bool reloadWhenUnknown = true)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(state);
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            state.State = previous;
            Rethrow(owner, e, reloadWhenUnknown);
        }
    }

    /// <summary>
    /// Deletes the stored state, with the same failure handling as <see cref="CommitAsync{T}"/>; no round trip when
    /// nothing is stored.
    /// </summary>
    public static async Task ClearAsync<T>(this IGrainBase owner, IPersistentState<T> state)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(state);
        if (!state.RecordExists)
        {
            return;
        }

        try
        {
            await state.ClearStateAsync();
        }
        catch (Exception e)
        {
            Rethrow(owner, e);
        }
    }

    private static void Rethrow(IGrainBase owner, Exception e, bool reloadWhenUnknown = true)
    {
        // Orleans wraps storage failures; callers get the outage itself.
        var cause = e is OrleansException { InnerException: StoreUnavailableException or StoreOutcomeUnknownException } wrapped ? wrapped.InnerException! : e;
        if ((cause is StoreOutcomeUnknownException && reloadWhenUnknown) || cause is InconsistentStateException)
        {
            owner.DeactivateOnIdle();
        }

        ExceptionDispatchInfo.Throw(cause);
    }
}
