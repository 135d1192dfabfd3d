using System.Collections.Immutable;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>Counts activations across a cluster's silos (IManagementGrain), for tests that memory stays bounded.</summary>
public static class ActivationCounts
{
    /// <summary>Activations per grain class (by its name without namespace), over all silos.</summary>
    public static async Task<ImmutableDictionary<string, int>> PerClassAsync(IGrainFactory grains, IEnumerable<string> grainClasses)
    {
        var statistics = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return grainClasses.ToImmutableDictionary(c => c, c => statistics.Where(s => ClassName(s.GrainType) == c).Sum(s => s.ActivationCount));
    }

    /// <summary>The class name in a statistic's grain type, which reads "Namespace.Class,Assembly".</summary>
    private static string ClassName(string grainType)
    {
        var fullName = grainType.Split(',')[0];
        return fullName[(fullName.LastIndexOf('.') + 1)..];
    }

    /// <summary>Whether <paramref name="grain"/> has an activation on some silo now.</summary>
    public static async Task<bool> IsActiveAsync(IGrainFactory grains, IAddressable grain)
    {
        var id = grain.GetGrainId();
        return (await grains.GetGrain<IManagementGrain>(0).GetActiveGrains(id.Type)).Contains(id);
    }

    public static async Task<int> TotalAsync(IGrainFactory grains)
        => (await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics()).Sum(s => s.ActivationCount);

    /// <summary>Polls the counts until <paramref name="settled"/>; on timeout the failure shows the last counts read.</summary>
    public static async Task WaitForAsync(
        Func<Task<ImmutableDictionary<string, int>>> read, Func<ImmutableDictionary<string, int>, bool> settled, TimeSpan deadline, string awaited)
    {
        var last = ImmutableDictionary<string, int>.Empty;
        try
        {
            await Poll.UntilAsync(async () => settled(last = await read()), deadline, awaited);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last counts: {Describe(last)}.", e);
        }
    }

    /// <summary>
    /// No class above its limit by more than <paramref name="slack"/>: projections of earlier tests' events may still
    /// activate a few grains of the same classes meanwhile (the collection's tests run one after another, their events not).
    /// </summary>
    public static bool NoneAbove(ImmutableDictionary<string, int> now, ImmutableDictionary<string, int> limit, int slack = 0)
        => now.All(c => c.Value <= limit[c.Key] + slack);

    public static string Describe(ImmutableDictionary<string, int> counts)
        => string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    /// <summary>Runs <paramref name="count"/> calls, many at a time, as a busy API host would.</summary>
    public static Task RunParallelAsync(int count, Func<int, Task> call, int parallel = 64)
        => Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) => await call(i));
}
