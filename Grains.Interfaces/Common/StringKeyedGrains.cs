namespace OrleansSessions.Common;

/// <summary>
/// References to string-keyed grains on hot paths. <c>GetGrain&lt;T&gt;(string)</c> resolves T's grain interface type by
/// reading its attributes on every call (Orleans 10.4: a reflection walk and its allocations per request); the grain
/// type and interface type of T are the same for every grain factory of this process, so they are resolved once.
/// </summary>
public static class StringKeyedGrains
{
    public static TGrain Get<TGrain>(IGrainFactory grains, string key)
        where TGrain : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (Resolved<TGrain>.Types is { } known)
        {
            return (TGrain)grains.GetGrain(GrainId.Create(known.Type, key), known.Interface);
        }

        var grain = grains.GetGrain<TGrain>(key);
        Resolved<TGrain>.Types = new GrainTypes(grain.GetGrainId().Type, ((GrainReference)(object)grain).InterfaceType);
        return grain;
    }

    /// <summary>A reference, so threads that race to set it never see half of it.</summary>
    private sealed record GrainTypes(GrainType Type, GrainInterfaceType Interface);

    private static class Resolved<TGrain>
    {
        public static GrainTypes? Types { get; set; }
    }
}
