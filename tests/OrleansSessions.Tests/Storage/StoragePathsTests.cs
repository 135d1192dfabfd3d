using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Storage;

/// <summary>
/// The group-commit storage and Orleans' ADO.NET provider write the same rows: either reads and carries on from what
/// the other wrote, so a deployment can switch <c>Orleans:Storage:Mode</c> either way over live data.
/// </summary>
[Collection(AdoNetStorageCollection.Name)]
public sealed class StoragePathsTests(AdoNetStorageFixture fixture)
{
    private const string StateName = "paths.state";
    private static readonly GrainType PathsType = GrainType.Create("paths");

    private IServiceProvider Silo => fixture.SiloServices;

    private IGrainStorage AdoNet => Silo.GetRequiredKeyedService<IGrainStorage>(StorageNames.State);

    /// <summary>Every kind of grain key the provider maps to columns differently.</summary>
    public static TheoryData<string> Keys => ["string", "integer", "integer+ext", "guid", "guid+ext"];

    private static GrainId NewGrain(string kind) => kind switch
    {
        "string" => GrainId.Create("paths", $"s-{Guid.NewGuid():N}"),
        "integer" => GrainId.Create(PathsType, GrainIdKeyExtensions.CreateIntegerKey(Random.Shared.NextInt64())),
        "integer+ext" => GrainId.Create(PathsType, GrainIdKeyExtensions.CreateIntegerKey(-Random.Shared.NextInt64(), $"ext-{Guid.NewGuid():N}")),
        "guid" => GrainId.Create(PathsType, GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid())),
        _ => GrainId.Create(PathsType, GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), "é-ext")),
    };

    private static CartState Cart(string sku) => new() { Lines = [new CartLine(sku, 1)] };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Each_provider_reads_updates_and_deletes_what_the_other_wrote(string kind)
    {
        var grain = NewGrain(kind);
        var groupCommit = GroupCommitStorages.Create(Silo, fixture.Cluster.Options.ServiceId);

        await AdoNet.WriteStateAsync(StateName, grain, new GrainState<CartState>(Cart("ADO-1")));
        var seen = new GrainState<CartState>();
        await groupCommit.ReadStateAsync(StateName, grain, seen);
        Assert.True(seen.RecordExists && seen.State!.Lines.Single().Sku == "ADO-1" && seen.ETag == "1", $"grain {grain}: group commit read {seen.ETag} {seen.State}");

        seen.State = Cart("GC-2");
        await groupCommit.WriteStateAsync(StateName, grain, seen);
        var back = new GrainState<CartState>();
        await AdoNet.ReadStateAsync(StateName, grain, back);
        Assert.True(back.State!.Lines.Single().Sku == "GC-2" && back.ETag == "2", $"grain {grain}: ADO.NET read {back.ETag} {back.State}");

        await AdoNet.WriteStateAsync(StateName, grain, back);
        await Assert.ThrowsAsync<InconsistentStateException>(() => groupCommit.ClearStateAsync(StateName, grain, seen));
        await groupCommit.ReadStateAsync(StateName, grain, seen);
        await groupCommit.ClearStateAsync(StateName, grain, seen);
        var gone = new GrainState<CartState>();
        await AdoNet.ReadStateAsync(StateName, grain, gone);
        Assert.False(gone.RecordExists, $"grain {grain}: cleared by group commit, still read by ADO.NET");
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Both_providers_fill_every_key_and_hash_column_alike(string kind)
    {
        var grain = NewGrain(kind);
        var otherService = TestDatabase.UniqueId("paths");
        await AdoNet.WriteStateAsync(StateName, grain, new GrainState<CartState>(Cart("SAME")));
        await GroupCommitStorages.Create(Silo, otherService).WriteStateAsync(StateName, grain, new GrainState<CartState>(Cart("SAME")));

        // One row per service; compared column by column, but for the service id and the time.
        var alike = await TestDatabase.ScalarAsync(
            """
            SELECT count(*) FROM OrleansStorage AS a JOIN OrleansStorage AS g
              ON (a.GrainTypeString, a.GrainIdN0, a.GrainIdN1, a.GrainIdHash, a.GrainTypeHash, a.PayloadBinary, a.Version)
               = (g.GrainTypeString, g.GrainIdN0, g.GrainIdN1, g.GrainIdHash, g.GrainTypeHash, g.PayloadBinary, g.Version)
             AND a.GrainIdExtensionString IS NOT DISTINCT FROM g.GrainIdExtensionString
             WHERE a.ServiceId = @ado AND g.ServiceId = @gc AND a.GrainTypeString = @state
            """,
            ("ado", fixture.Cluster.Options.ServiceId), ("gc", otherService), ("state", StateName));
        Assert.True(alike == 1, $"grain {grain}: the two providers' rows differ ({alike} alike)");
    }
}
