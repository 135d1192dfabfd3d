using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansSessions.Hosting;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Bench.InProcess;

/// <summary>A grain that does nothing: the cost of a grain call itself.</summary>
[Alias("bench.INoopGrain")]
public interface INoopGrain : IGrainWithStringKey
{
    [Alias("ping")]
    Task<int> PingAsync();
}

public sealed class NoopGrain : Grain, INoopGrain
{
    public Task<int> PingAsync() => Task.FromResult(1);
}

/// <summary>
/// A hot session read (~1 KB of attributes) against a no-op call, through the grain factory of a silo in this process
/// (the embedded mode's silo: in-memory state). One call at a time (latency) and 32 at once (throughput, per call).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GrainCalls
{
    private const int Concurrent = 32;

    private IHost? host;
    private INoopGrain noop = null!;
    private ISessionGrain session = null!;
    private readonly Task[] calls = new Task[Concurrent];

    [GlobalSetup]
    public async Task StartAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.AddOrleansSessionsEmbedded(new ClusterSettings { SiloPort = FreePort.Next(), GatewayPort = FreePort.Next() }));
        host = builder.Build();
        await host.StartAsync();

        var grains = host.Services.GetRequiredService<IGrainFactory>();
        noop = grains.GetGrain<INoopGrain>("noop");
        var id = SessionIds.New();
        session = grains.GetSessionGrain(id);
        await session.CreateAsync(new SessionCreate(null, Attributes(), null, null, "bench"));
        await noop.PingAsync();
        _ = await session.GetAsync() ?? throw new InvalidOperationException("the bench session does not read back");
    }

    [GlobalCleanup]
    public async Task StopAsync()
    {
        if (host is not null)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("one call at a time")]
    public Task<int> NoopCall() => noop.PingAsync();

    [Benchmark, BenchmarkCategory("one call at a time")]
    public Task<SessionView?> SessionRead() => session.GetAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Concurrent), BenchmarkCategory("32 calls at once")]
    public Task NoopCall32()
    {
        for (var i = 0; i < Concurrent; i++)
        {
            calls[i] = noop.PingAsync();
        }

        return Task.WhenAll(calls);
    }

    [Benchmark(OperationsPerInvoke = Concurrent), BenchmarkCategory("32 calls at once")]
    public Task SessionRead32()
    {
        for (var i = 0; i < Concurrent; i++)
        {
            calls[i] = session.GetAsync();
        }

        return Task.WhenAll(calls);
    }

    /// <summary>The attributes the HTTP benchmark creates its sessions with (~0.9 KB), in canonical form.</summary>
    private static ImmutableDictionary<string, string> Attributes() => ImmutableDictionary<string, string>.Empty
        .Add("user", """{"id":"u-0001234567","name":"Ada Lovelace","email":"ada.lovelace@example.com","roles":["customer","beta-tester"],"locale":"en-GB","tz":"Europe/London"}""")
        .Add("cart", """{"currency":"EUR","items":[{"sku":"SKU-100001","qty":2,"price":19.99,"title":"Analytical Engine poster"},{"sku":"SKU-200002","qty":1,"price":5.49,"title":"Punch cards (pack of 100)"},{"sku":"SKU-300003","qty":3,"price":12.0,"title":"Difference Engine mug"}]}""")
        .Add("prefs", """{"theme":"dark","currency":"EUR","newsletter":false,"density":"compact","notifications":{"email":true,"sms":false,"push":true}}""")
        .Add("csrf", "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"")
        .Add("recentlyViewed", """["SKU-400004","SKU-500005","SKU-600006","SKU-700007","SKU-800008","SKU-900009","SKU-100010","SKU-110011","SKU-120012","SKU-130013","SKU-140014","SKU-150015"]""")
        .Add("lastPage", "\"/catalog/engines/analytical?sort=price\\u0026page=3\"");
}
