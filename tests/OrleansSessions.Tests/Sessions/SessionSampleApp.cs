using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansSessions.Client.Caching;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// A plain ASP.NET Core service, as another team would write it: an Orleans client of the cluster, the one call
/// <c>AddOrleansSessionsDistributedCache()</c>, and the stock <c>AddSession()</c> / <c>UseSession()</c>. It runs on real
/// Kestrel (a loopback port) and exposes its <c>ISession</c> as <c>/session/{key}</c> (GET, PUT with a text body, DELETE)
/// and <c>DELETE /session</c> (clear).
/// </summary>
public sealed class SessionSampleApp : IAsyncDisposable
{
    public const string CookieName = ".OrleansSessions.Sample";

    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(20);

    private readonly WebApplication app;

    private SessionSampleApp(WebApplication app, Uri address)
    {
        this.app = app;
        Http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = address };
    }

    /// <summary>A client that sends no cookies of its own: tests pass the session cookie explicitly.</summary>
    public HttpClient Http { get; }

    /// <summary>The app's <see cref="IDistributedCache"/>, as its own code would get it.</summary>
    public IDistributedCache Cache => app.Services.GetRequiredService<IDistributedCache>();

    public IServiceProvider Services => app.Services;

    /// <param name="keyRing">Shared by every instance, so each can read the session cookie another one issued.</param>
    public static async Task<SessionSampleApp> StartAsync(TestCluster cluster, DirectoryInfo keyRing)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        var gateways = cluster.Silos.Select(s => s.GatewayAddress.Endpoint).ToArray();
        builder.UseOrleansClient(client => client
            .UseStaticClustering(gateways)
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.Options.ClusterId;
                o.ServiceId = cluster.Options.ServiceId;
            }));
        builder.Services.AddOrleansSessionsDistributedCache();
        builder.Services.AddDataProtection()
            .SetApplicationName("orleanssessions-session-sample")
            .PersistKeysToFileSystem(keyRing);
        builder.Services.AddSession(o =>
        {
            o.IdleTimeout = IdleTimeout;
            o.Cookie.Name = CookieName;
        });

        var app = builder.Build();
        app.UseSession();
        app.MapGet("/session/{key}", async (string key, HttpContext http) =>
        {
            await http.Session.LoadAsync();
            return http.Session.GetString(key) is { } value ? Results.Text(value) : Results.NotFound();
        });
        app.MapPut("/session/{key}", async (string key, HttpContext http) =>
        {
            await http.Session.LoadAsync();
            using var body = new StreamReader(http.Request.Body);
            http.Session.SetString(key, await body.ReadToEndAsync());
            return Results.NoContent();
        });
        app.MapDelete("/session/{key}", async (string key, HttpContext http) =>
        {
            await http.Session.LoadAsync();
            http.Session.Remove(key);
            return Results.NoContent();
        });
        app.MapDelete("/session", async (HttpContext http) =>
        {
            await http.Session.LoadAsync();
            http.Session.Clear();
            return Results.NoContent();
        });

        await app.StartAsync();

        // The key ring is created on first use; making it now means a second instance finds it instead of racing to
        // create a key of its own.
        app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect("key ring");

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new SessionSampleApp(app, new Uri(address));
    }

    /// <summary>PUTs <paramref name="value"/> under <paramref name="key"/>; returns the session cookie to send from now on.</summary>
    public async Task<string> SetAsync(string? cookie, string key, string value)
    {
        using var request = Request(HttpMethod.Put, $"/session/{key}", cookie);
        request.Content = new StringContent(value);
        using var response = await Http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"PUT session key '{key}': {(int)response.StatusCode}");
        return SessionCookie(response) ?? cookie
            ?? throw new Xunit.Sdk.XunitException($"PUT session key '{key}' issued no session cookie");
    }

    /// <summary>The session value under <paramref name="key"/>, or null when the session does not hold it.</summary>
    public async Task<string?> GetAsync(string? cookie, string key)
    {
        using var request = Request(HttpMethod.Get, $"/session/{key}", cookie);
        using var response = await Http.SendAsync(request);
        Assert.True(
            response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound,
            $"GET session key '{key}': {(int)response.StatusCode}");
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
    }

    public async Task RemoveAsync(string cookie, string? key)
    {
        using var request = Request(HttpMethod.Delete, key is null ? "/session" : $"/session/{key}", cookie);
        using var response = await Http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"DELETE session key '{key ?? "(all)"}': {(int)response.StatusCode}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? cookie)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    /// <summary>The <c>name=value</c> part of the session cookie the response set, if it set one.</summary>
    private static string? SessionCookie(HttpResponseMessage response)
        => response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';', 2)[0]).FirstOrDefault(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal))
            : null;
}
