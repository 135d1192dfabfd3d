using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansSessions.Hosting;
using OrleansSessions.Sessions;

// Durable writes per second through the product's own path (grain call → grain → storage → PostgreSQL) in one
// process with an in-process silo, so that what is measured is the storage path, not HTTP or the gateway hop.
//   write:  Bench:Concurrency callers each set an attribute of one of Bench:Sessions sessions, again and again
//   create: Bench:Concurrency callers each create sessions bound to a fresh user (user index, expiry bucket, session)
// Prints one Markdown table row per workload.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

// Logs to stderr: stdout is the table.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
var bench = builder.Configuration.GetSection("Bench");
var concurrency = bench.GetValue("Concurrency", 64);
var sessions = bench.GetValue("Sessions", 1000);
var warmup = bench.GetValue("Warmup", TimeSpan.FromSeconds(3));
var duration = bench.GetValue("Duration", TimeSpan.FromSeconds(15));
var workloads = (bench["Workloads"] ?? "write,create").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var mode = builder.Configuration["Orleans:Storage:Mode"] ?? "GroupCommit";

// The postmaster's pid (first line of postmaster.pid): to count PostgreSQL's CPU time too, which shares the cores.
var postmaster = bench.GetValue<int?>("PostgresPid");
var connectionString = builder.Configuration.GetConnectionString(ClusterSettings.ConnectionStringName)
    ?? throw new InvalidOperationException("Set ConnectionStrings:Orleans.");

builder.UseOrleans(silo => silo.AddOrleansSessionsCluster(builder.Configuration));
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();
var value = $"\"{new string('x', 200)}\"";

var ids = new string[sessions];
await Parallel.ForAsync(0, sessions, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
{
    ids[i] = SessionIds.New();
    await grains.GetSessionGrain(ids[i]).CreateAsync(new SessionCreate(null, ImmutableDictionary<string, string>.Empty, null, null, "bench"));
});

Console.WriteLine("| storage | workload | callers | ops/s | p50 ms | p99 ms | WAL flushes per op | WAL bytes per op | CPU µs per op: silo + PostgreSQL |");
Console.WriteLine("|---|---|--:|--:|--:|--:|--:|--:|--:|");
foreach (var workload in workloads)
{
    Func<int, Task> operation = workload switch
    {
        "write" => n => grains.GetSessionGrain(ids[Random.Shared.Next(sessions)]).SetAttributeAsync($"k{n % 4}", value, null),
        "create" => _ => grains.GetSessionGrain(SessionIds.New()).CreateAsync(
            new SessionCreate($"u-{Guid.NewGuid():N}", ImmutableDictionary<string, string>.Empty, null, null, "bench")),
        _ => throw new InvalidOperationException($"Unknown workload '{workload}' (write, create)."),
    };

    await RunAsync(operation, warmup);
    var walBefore = await WalAsync(connectionString);
    var (siloBefore, postgresBefore) = (Process.GetCurrentProcess().TotalProcessorTime, PostgresCpu(postmaster));
    var (count, latencies) = await RunAsync(operation, duration);
    var (silo, postgres) = (Process.GetCurrentProcess().TotalProcessorTime - siloBefore, PostgresCpu(postmaster) - postgresBefore);
    var wal = await WalAsync(connectionString);
    var (flushes, walBytes) = (wal.Flushes - walBefore.Flushes, wal.Bytes - walBefore.Bytes);
    latencies.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {mode} | {workload} | {concurrency} | {count / duration.TotalSeconds:0} | {Percentile(latencies, 0.50):0.0} | {Percentile(latencies, 0.99):0.0} | {(double)flushes / count:0.00} | {(double)walBytes / count:0} | {silo.TotalMicroseconds / count:0} + {postgres.TotalMicroseconds / count:0} |"));
}

await host.StopAsync();

// Runs the operation from every caller until the time is up; returns how many completed and their latencies (ms).
async Task<(long Count, List<double> Latencies)> RunAsync(Func<int, Task> operation, TimeSpan time)
{
    var stopAt = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
    var perCaller = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async caller =>
    {
        var latencies = new List<double>();
        for (var n = caller; Stopwatch.GetTimestamp() < stopAt; n++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation(n);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return latencies;
    }));
    var all = perCaller.SelectMany(l => l).ToList();
    return (all.Count, all);
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, p * sorted.Count)];

// WAL flushes to disk so far (one per durable commit, or per group of commits PostgreSQL flushed together) and WAL
// bytes written; server-wide, and backends report their statistics within a second.
static async Task<(long Flushes, long Bytes)> WalAsync(string connectionString)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT pg_sleep(1.2); SELECT wal_sync, wal_bytes::bigint FROM pg_stat_wal", connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.NextResultAsync();
    await reader.ReadAsync();
    return (reader.GetInt64(0), reader.GetInt64(1));
}

// CPU time of the PostgreSQL server so far: its live processes, and the children it has reaped (backends that ended).
static TimeSpan PostgresCpu(int? postmaster)
{
    if (postmaster is not { } pid)
    {
        return TimeSpan.Zero;
    }

    long ticks = 0;
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out var candidate))
        {
            continue;
        }

        try
        {
            // Fields after the command name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), counted from 1.
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var own = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (candidate == pid)
            {
                ticks += own + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
            else if (fields[1] == pid.ToString(CultureInfo.InvariantCulture))
            {
                ticks += own;
            }
        }
        catch (IOException)
        {
            // Ended meanwhile: its time is in the postmaster's reaped-children count.
        }
    }

    // Linux clock ticks: 100 per second.
    return TimeSpan.FromMilliseconds(ticks * 10);
}
