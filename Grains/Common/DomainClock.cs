namespace OrleansSessions.Common;

/// <summary>
/// The clock domain rules read (session and cache deadlines, the expiry sweep), registered as a keyed
/// <see cref="TimeProvider"/> so tests can move it without also moving the clock Orleans' own timers run on.
/// Grains take it as <c>[FromKeyedServices(DomainClock.Key)] TimeProvider time</c>; it defaults to the system clock.
/// </summary>
public static class DomainClock
{
    public const string Key = "domain";
}
