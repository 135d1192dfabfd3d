using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansSessions.Common;

namespace OrleansSessions.Hosting;

/// <summary>
/// For benchmarks only (<c>Bench:InMemoryGrainState=true</c>): a cluster silo whose grain state lives in its own memory,
/// everything else (membership, reminders, streams) as configured. Measured beside the same silo on PostgreSQL, it
/// shows what durability costs. Nothing this silo acknowledges survives it.
/// </summary>
public static partial class BenchmarkStorage
{
    public const string InMemoryGrainStateKey = "Bench:InMemoryGrainState";

    /// <summary>Replaces the grain state storage when <see cref="InMemoryGrainStateKey"/> is set; call after the storage is added.</summary>
    public static ISiloBuilder AddBenchmarkStorageOverride(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (!silo.Configuration.GetValue<bool>(InMemoryGrainStateKey))
        {
            return silo;
        }

        // The last keyed registration is the one grains get.
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.State, (sp, _) =>
        {
            LogNotDurable(sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BenchmarkStorage).FullName!), InMemoryGrainStateKey);
            return new InProcessGrainStorage(sp.GetRequiredService<OrleansGrainStorageSerializer>());
        });
        return silo;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Setting} is set: grain state is kept in this silo's memory, NOT in the database. For benchmarks only.")]
    private static partial void LogNotDurable(ILogger logger, string setting);
}
