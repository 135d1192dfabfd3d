using Orleans.Storage;

namespace OrleansSessions.Common;

public static class PersistentStateExtensions
{
    /// <summary>
    /// Stores <paramref name="next"/> and only then makes it the grain's state: a failed write leaves the activation
    /// with the last stored state, so nothing unacknowledged is ever served. A store outage surfaces as
    /// <see cref="StoreUnavailableException"/>; a conflicting write (another activation wrote first) deactivates this
    /// one so the next call reloads what is stored.
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
        catch (InconsistentStateException)
        {
            state.State = previous;
            owner.DeactivateOnIdle();
            throw;
        }
        catch (Exception e) when (StoreOutage.IsOutage(e))
        {
            state.State = previous;
            throw new StoreUnavailableException("The durable store is unavailable; the change was not saved.", e);
        }
        catch
        {
            state.State = previous;
            throw;
        }
    }
}
