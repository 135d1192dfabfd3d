using Microsoft.Extensions.DependencyInjection;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>A memory TestCluster whose idle activations are collected after seconds, not minutes (<c>Orleans:Collection:*</c>).</summary>
public sealed class ShortCollectionClusterFixture : ClusterFixture<MemoryClusterFixture.Configurator>
{
    public static readonly TimeSpan IdleAge = TimeSpan.FromSeconds(4);

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Orleans:Collection:IdleAge"] = IdleAge.ToString(),
        ["Orleans:Collection:DefaultAge"] = IdleAge.ToString(),
        ["Orleans:Collection:Quantum"] = "00:00:01",
    };

    protected override short Silos => 1;
}

[CollectionDefinition(Name)]
public sealed class ShortCollectionClusterCollection : ICollectionFixture<ShortCollectionClusterFixture>
{
    public const string Name = "short collection cluster";
}

/// <summary>Memory stays bounded at scale: probing ids and idle sessions both give their activations back.</summary>
[Collection(ShortCollectionClusterCollection.Name)]
public sealed class ActivationBoundsTests(ShortCollectionClusterFixture fixture)
{
    /// <summary>
    /// Grains whose number does not grow with sessions or lookups (16 event partitions per context with their consumers
    /// and pub-sub rendezvous, 8 expiry sweepers, the storage grains) come and go with traffic.
    /// </summary>
    private const int FixedCountGrains = 100;

    private static readonly string Profile = $"\"{new string('x', 190)}\"";

    [Fact]
    public async Task Activations_return_to_their_level_after_100000_unknown_id_lookups_and_20000_sessions_left_idle()
    {
        var grains = fixture.SiloServices.GetRequiredService<IGrainFactory>();
        var classes = UnknownIdLookups.GrainClasses;
        var before = await ActivationCounts.PerClassAsync(grains, classes);
        var totalBefore = await ActivationCounts.TotalAsync(grains);

        await ActivationCounts.RunParallelAsync(100_000, i => UnknownIdLookups.RunAsync(grains, i));
        await ActivationCounts.WaitForAsync(
            () => ActivationCounts.PerClassAsync(grains, classes),
            now => ActivationCounts.NoneAbove(now, before),
            TimeSpan.FromSeconds(30),
            $"activations per class to fall back to {ActivationCounts.Describe(before)} after 100,000 lookups of unknown ids: none holds anything");

        // Idle timeouts spread over an hour, as real clients' are: sessions of one minute's deadline share an expiry
        // bucket, whose every add rewrites it whole (the performance issue's), which would dominate this test's time.
        var ids = new string[20_000];
        await ActivationCounts.RunParallelAsync(ids.Length, async i =>
        {
            ids[i] = SessionIds.New();
            await grains.GetSessionGrain(ids[i]).CreateAsync(SessionTestKit.Request(idle: TimeSpan.FromMinutes(1 + (i % 60)), attributes: ("profile", Profile)));
        });
        Assert.True(
            (await ActivationCounts.PerClassAsync(grains, ["SessionGrain"]))["SessionGrain"] > before["SessionGrain"],
            "20,000 sessions created, and none of them activated: the count does not see them");

        await ActivationCounts.WaitForAsync(
            async () => (await ActivationCounts.PerClassAsync(grains, classes)).Add("(all)", await ActivationCounts.TotalAsync(grains)),
            now => ActivationCounts.NoneAbove(now, before.Add("(all)", totalBefore + FixedCountGrains)),
            TimeSpan.FromSeconds(60),
            $"20,000 idle sessions to be collected after the idle age of {ShortCollectionClusterFixture.IdleAge.TotalSeconds} s: activations per class back to "
            + $"{ActivationCounts.Describe(before)}, and all activations within {FixedCountGrains} of the {totalBefore} before (grains of a fixed number come and go with traffic)");

        // Collected, not lost: their state is in storage and comes back with the next call.
        foreach (var id in ids.Take(50))
        {
            Assert.True(await grains.GetSessionGrain(id).GetAsync() is { } view && view.Attributes["profile"] == Profile, $"session {SessionIds.Hash(id)} lost its state when collected");
        }
    }
}
