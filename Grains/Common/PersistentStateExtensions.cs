using System.Runtime.ExceptionServices;
using Orleans.Storage;

namespace OrleansSessions.Common;

public static class PersistentStateExtensions
{
    /// <summary>
    /// Stores <paramref name="next"/> and only then makes it the grain's state: a failed write leaves the activation
    /// with the last stored state, so nothing unacknowledged is ever served. A conflicting write (another activation
    /// wrote first) also deactivates this one, so the next call reloads what is stored.
    /// </summary>
    public static async Task CommitAsync<T>(this IGrainBase owner, IPersistentState<T> state, T next)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(state);
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch (OrleansException e) when (e.InnerException is StoreUnavailableException unavailable)
        {
            // Orleans wraps storage failures; callers get the outage itself.
            state.State = previous;
            ExceptionDispatchInfo.Throw(unavailable);
        }
        catch (Exception e)
        {
            state.State = previous;
            if (e is InconsistentStateException)
            {
                owner.DeactivateOnIdle();
            }

            throw;
        }
    }
}
