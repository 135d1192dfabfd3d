namespace OrleansSessions.Common;

/// <summary>
/// A grain keyed by an id its callers choose (a session, a cart, a user's index, an order …): its activation is worth
/// memory only while it holds something. After any call — a failing one too — that leaves it holding nothing, with no
/// other call in flight, it deactivates at once; so lookups of ids nobody stored (guesses, typos, probing) leave no
/// activation behind, whichever method they reach, without each method having to remember it.
/// </summary>
/// <remarks>
/// A grain-level call filter: only these grains pay for it (one small allocation per call), not every grain of the silo.
/// Calls in flight are counted because read-only and interleaving calls may run while a first write is still on its
/// way to the store.
/// </remarks>
public abstract class ReleasedWhenEmptyGrain : Grain, IIncomingGrainCallFilter
{
    private int callsInFlight;

    /// <summary>No stored state, and nothing pending that could still store some.</summary>
    protected abstract bool HoldsNothing { get; }

    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        callsInFlight++;
        try
        {
            await context.Invoke();
        }
        finally
        {
            if (--callsInFlight == 0 && HoldsNothing)
            {
                DeactivateOnIdle();
            }
        }
    }
}
