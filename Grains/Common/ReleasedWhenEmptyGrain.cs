using Orleans.Core;

namespace OrleansSessions.Common;

/// <summary>
/// A grain keyed by an id its callers choose (a session, a cart, a user's index, an order …): its activation is worth
/// memory only while it holds something. After any call — a failing one too — that leaves it holding nothing, with no
/// other call in flight, it deactivates shortly after; so lookups of ids nobody stored (guesses, typos, probing) leave no
/// activation behind, whichever method they reach, without each method having to remember it.
/// </summary>
/// <remarks>
/// A grain-level call filter: only these grains pay for it (one small allocation per call), not every grain of the silo.
/// Calls in flight are counted because read-only and interleaving calls may run while a first write is still on its
/// way to the store. The release waits <see cref="ReleaseDelay"/>: calls already queued behind this one (a burst on
/// one id) are served by this activation instead of being forwarded from one short-lived activation to the next until
/// Orleans rejects them (it forwards a message at most twice).
/// </remarks>
public abstract class ReleasedWhenEmptyGrain(IStorage state) : Grain, IIncomingGrainCallFilter
{
    private static readonly TimeSpan ReleaseDelay = TimeSpan.FromMilliseconds(250);

    private int callsInFlight;
    private IGrainTimer? release;

    /// <summary>No stored state (a write in flight counts as a call in flight).</summary>
    private bool HoldsNothing => !state.RecordExists;

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
            if (--callsInFlight == 0 && HoldsNothing && release is null)
            {
                release = this.RegisterGrainTimer(
                    static (grain, _) => grain.ReleaseIfStillEmpty(),
                    this,
                    new GrainTimerCreationOptions(ReleaseDelay, Timeout.InfiniteTimeSpan) { KeepAlive = false });
            }
        }
    }

    /// <summary>A turn of its own (the timer does not interleave): deactivates unless a call stored something meanwhile.</summary>
    private Task ReleaseIfStillEmpty()
    {
        if (HoldsNothing)
        {
            DeactivateOnIdle();
        }
        else
        {
            release?.Dispose();
            release = null;
        }

        return Task.CompletedTask;
    }
}
