using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using OrleansSessions.Common;

namespace OrleansSessions.Hosting;

/// <summary>
/// The <c>Orleans:Collection</c> configuration section: how long idle activations stay in memory, and how the silo sheds
/// them when memory runs short. State is in storage, so a collected activation costs only a reload on its next call.
/// </summary>
public sealed class ActivationLimitSettings
{
    public const string SectionName = "Orleans:Collection";

    /// <summary>
    /// Idle age after which activations of grains keyed by ids callers choose (<see cref="ReleasedWhenEmptyGrain"/>:
    /// sessions, carts, cache entries, users' session lists and projections, orders, payments, SKUs) are collected.
    /// </summary>
    public TimeSpan IdleAge { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Idle age of every other activation (event consumers, expiry buckets and sweepers, dead letters).</summary>
    public TimeSpan DefaultAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the silo looks for idle activations; the ages above are rounded up to it.</summary>
    public TimeSpan Quantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Deactivate the least recently used activations when managed memory passes <see cref="MemoryLimitPercentage"/>.</summary>
    public bool ShedOnMemoryPressure { get; set; } = true;

    /// <summary>Managed memory, in percent of what the process may use (the GC's high-load threshold or the container limit), at which shedding starts.</summary>
    public double MemoryLimitPercentage { get; set; } = 80;

    /// <summary>Where shedding stops; below <see cref="MemoryLimitPercentage"/>.</summary>
    public double MemoryTargetPercentage { get; set; } = 70;
}

public static class ActivationLimits
{
    /// <summary>Idle collection and shedding under memory pressure, from <see cref="ActivationLimitSettings"/> (Orleans validates the values at start).</summary>
    public static ISiloBuilder AddActivationLimits(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var settings = silo.Configuration.GetSection(ActivationLimitSettings.SectionName).Get<ActivationLimitSettings>() ?? new ActivationLimitSettings();
        silo.Services.Configure<GrainCollectionOptions>(o =>
        {
            o.CollectionQuantum = settings.Quantum;
            o.CollectionAge = settings.DefaultAge;
            foreach (var grainClass in PerIdGrainClasses)
            {
                o.ClassSpecificCollectionAge[grainClass.FullName!] = settings.IdleAge;
            }

            o.EnableActivationSheddingOnMemoryPressure = settings.ShedOnMemoryPressure;
            o.MemoryUsageLimitPercentage = settings.MemoryLimitPercentage;
            o.MemoryUsageTargetPercentage = settings.MemoryTargetPercentage;
        });
        return silo;
    }

    /// <summary>The grain classes keyed by ids callers choose: the ones that already leave no activation behind when empty.</summary>
    private static IEnumerable<Type> PerIdGrainClasses
        => typeof(ReleasedWhenEmptyGrain).Assembly.GetTypes().Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(ReleasedWhenEmptyGrain)));
}
