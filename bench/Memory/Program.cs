using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansSessions.Hosting;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

// Host memory per session: an in-process silo with in-process state (what `dotnet run --project ApiHost` runs), N
// anonymous sessions of ~200 bytes created through the silo's own grain factory, the heap and the working set measured
// after full collections: once with every session activated, once after the idle age has collected them.
// BENCH_GCDUMP_DIR=<folder> also writes a heap dump at both points (dotnet-gcdump must be on PATH).
var sessions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var idleAge = TimeSpan.Parse(Environment.GetEnvironmentVariable("BENCH_IDLE_AGE") ?? "00:01:00", CultureInfo.InvariantCulture);
var dumps = Environment.GetEnvironmentVariable("BENCH_GCDUMP_DIR");
var profile = $"\"{new string('x', 190)}\"";
var attributes = ImmutableDictionary<string, string>.Empty.Add("profile", profile);
var dataBytes = "profile".Length + profile.Length;

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    [$"{ActivationLimitSettings.SectionName}:{nameof(ActivationLimitSettings.IdleAge)}"] = idleAge.ToString(),
    [$"{ActivationLimitSettings.SectionName}:{nameof(ActivationLimitSettings.Quantum)}"] = (idleAge / 3).ToString(),
});
builder.UseOrleans(silo => silo.AddOrleansSessionsEmbedded(new ClusterSettings { SiloPort = FreePort.Next(), GatewayPort = FreePort.Next() }));
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

// Warm-up: JIT, the event consumers and expiry partitions, the store's first rows; then all of it settles.
await CreateAsync(2_000);
await WaitForNoSessionActivationsAsync();
var baseline = Measure();

var started = Stopwatch.GetTimestamp();
await CreateAsync(sessions);
var createSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
var active = Measure();
Dump("activated");
var activeActivations = await SessionActivationsAsync();

var waited = await WaitForNoSessionActivationsAsync();
var idle = Measure();
Dump("collected");

Console.WriteLine($"# Host memory per session ({sessions:N0} anonymous sessions, {dataBytes} bytes of attributes each, {Environment.ProcessorCount} cores, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC)");
Console.WriteLine();
Console.WriteLine($"Created in {createSeconds:0.0} s ({sessions / createSeconds:N0}/s); idle age {idleAge}, all collected {waited.TotalSeconds:0} s after the last create.");
Console.WriteLine();
Console.WriteLine("| state | session activations | managed heap per session | working set per session |");
Console.WriteLine("|---|--:|--:|--:|");
Row("activated (used within the idle age)", activeActivations, active);
Row("idle, collected (only the in-process store's rows remain)", await SessionActivationsAsync(), idle);
Console.WriteLine($"| activation alone (activated − collected) | | {Kib(active.Heap - idle.Heap)} | {Kib(active.WorkingSet - idle.WorkingSet)} |");
await host.StopAsync();

void Row(string what, int activations, (long Heap, long WorkingSet) at)
    => Console.WriteLine($"| {what} | {activations:N0} | {Kib(at.Heap - baseline.Heap)} | {Kib(at.WorkingSet - baseline.WorkingSet)} |");

string Kib(long bytes) => $"{bytes / 1024.0 / sessions:0.00} KiB";

// Idle timeouts spread over an hour, as real clients' are: sessions due in one minute share an expiry bucket.
async Task CreateAsync(int count) => await Parallel.ForEachAsync(
    Enumerable.Range(0, count),
    new ParallelOptions { MaxDegreeOfParallelism = 64 },
    async (i, _) => await grains.GetSessionGrain(SessionIds.New()).CreateAsync(new SessionCreate(null, attributes, TimeSpan.FromMinutes(1 + (i % 60)), null, "bench")));

void Dump(string name)
{
    if (dumps is null)
    {
        return;
    }

    Directory.CreateDirectory(dumps);
    using var dump = Process.Start("dotnet-gcdump", ["collect", "-p", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "-o", Path.Combine(dumps, name + ".gcdump")]);
    dump.WaitForExit();
}

async Task<int> SessionActivationsAsync()
    => (await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics())
        .Where(s => s.GrainType.StartsWith(typeof(SessionGrain).FullName + ",", StringComparison.Ordinal)).Sum(s => s.ActivationCount);

async Task<TimeSpan> WaitForNoSessionActivationsAsync()
{
    var since = Stopwatch.GetTimestamp();
    while (await SessionActivationsAsync() > 0)
    {
        if (Stopwatch.GetElapsedTime(since) > idleAge * 10)
        {
            throw new TimeoutException($"Session activations were not collected within {idleAge * 10}.");
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
    }

    return Stopwatch.GetElapsedTime(since);
}

static (long Heap, long WorkingSet) Measure()
{
    for (var i = 0; i < 3; i++)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    using var process = Process.GetCurrentProcess();
    return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
}
