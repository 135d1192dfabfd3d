using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace OrleansSessions.Hosting;

/// <summary>Grain state in the silo's own memory (<c>Orleans:Storage:Mode=InMemory</c>), for benchmarks only.</summary>
public static partial class BenchmarkStorage
{
    public static IGrainStorage Create(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        LogNotDurable(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BenchmarkStorage).FullName!));
        return new InProcessGrainStorage(services.GetRequiredService<OrleansGrainStorageSerializer>());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orleans:Storage:Mode is InMemory: grain state is kept in this silo's memory, NOT in the database. For benchmarks only.")]
    private static partial void LogNotDurable(ILogger logger);
}
