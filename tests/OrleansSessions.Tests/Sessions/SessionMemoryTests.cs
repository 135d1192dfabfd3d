using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>Memory stays bounded under lookups of ids nobody stored (guesses, typos, probing).</summary>
[Collection(MemoryClusterCollection.Name)]
public sealed class SessionMemoryTests(MemoryClusterFixture fixture)
{
    private const int LookupsPerKind = 40;
    private const int Slack = 8;

    [Fact]
    public async Task Lookups_of_unknown_ids_leave_no_activations_behind_long_before_idle_collection()
    {
        // The control: a session that exists keeps its activation, and the statistics see it.
        var (_, kept, _) = await SessionTestKit.CreateAsync(fixture.Client, SessionTestKit.Request());
        Assert.True(await ActivationCounts.IsActiveAsync(fixture.Client, kept), $"session {kept.GetPrimaryKeyString()}: created, yet not active");
        var before = await ActivationCounts.PerClassAsync(fixture.Client, UnknownIdLookups.GrainClasses);
        Assert.True(before["SessionGrain"] >= 1, $"session {kept.GetPrimaryKeyString()} is active, yet no session activation was counted");

        await ActivationCounts.RunParallelAsync(14 * LookupsPerKind, i => UnknownIdLookups.RunAsync(fixture.Client, i));

        // The idle age of these grains is minutes: only their own deactivation can bring them back within the deadline.
        // A few more than before may be earlier tests' projections catching up, never the 40 per kind these lookups made.
        await ActivationCounts.WaitForAsync(
            () => ActivationCounts.PerClassAsync(fixture.Client, UnknownIdLookups.GrainClasses),
            now => ActivationCounts.NoneAbove(now, before, slack: Slack),
            TimeSpan.FromSeconds(20),
            $"activations of {string.Join(", ", UnknownIdLookups.GrainClasses)} to fall back to at most {Slack} above {ActivationCounts.Describe(before)} after {LookupsPerKind} lookups of unknown ids per kind");
    }
}
