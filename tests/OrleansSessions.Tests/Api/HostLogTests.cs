using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansSessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSessions.Tests.Api;

/// <summary>
/// The embedded API host as a user starts it: <c>dotnet ApiHost/bin/…/OrleansSessions.ApiHost.dll</c> from the
/// repository root, not from its bin folder. What it logs is what the README says it logs.
/// </summary>
public sealed class HostLogTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string developmentKeyFile = Path.Combine(Path.GetTempPath(), $"orleanssessions-dev-key-{Guid.NewGuid():N}", "dev-api-key");
    private ProcessHost? host;

    public void Dispose()
    {
        if (Directory.Exists(Path.GetDirectoryName(developmentKeyFile)))
        {
            Directory.Delete(Path.GetDirectoryName(developmentKeyFile)!, recursive: true);
        }

        if (host is not null)
        {
            output.WriteLine(host.Tail(200));
            host.Dispose();
        }
    }

    [Fact]
    public async Task Started_from_another_folder_the_embedded_host_reads_its_settings_and_logs_only_the_documented_warnings()
    {
        using var http = await StartEmbeddedAsync();
        var startup = host!.Output;

        // The README: the not-durable line, and the ephemeral token key line while no Tokens:SigningKey is set.
        Assert.Equal(
            ["OrleansSessions.ApiHost.Infrastructure.EmbeddedSilo", "OrleansSessions.Client.Tokens.SessionTokens"],
            LogLines.Categories(startup, "warn"));
        Assert.Contains(startup, l => l.Contains("it is NOT durable", StringComparison.Ordinal));
        Assert.Contains(startup, l => l.Contains("signed with an ephemeral key", StringComparison.Ordinal));
        Assert.Empty(LogLines.Errors(startup));

        // Without configured credentials: a development key with every scope, in a file only its owner reads, printed
        // once with a curl line that uses it (the client above already authenticates with it).
        var key = File.ReadAllText(developmentKeyFile).Trim();
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(developmentKeyFile) == (UnixFileMode.UserRead | UnixFileMode.UserWrite),
            "the development key file must be readable by its owner only");
        Assert.Single(startup, l => l.Contains($"curl -H 'X-Api-Key: {key}' http://127.0.0.1:", StringComparison.Ordinal));

        // Its appsettings.json was read: without it Orleans and Polly log hundreds of Information lines at start.
        Assert.Contains(startup, l => l.Trim().StartsWith($"Content root path: {Path.Combine(ProcessHost.RepositoryRoot, "ApiHost", "bin")}", StringComparison.Ordinal));
        var informational = LogLines.Categories(startup, "info");
        Assert.True(informational.Count <= 7, $"{informational.Count} Information lines at start: {string.Join(", ", informational)}");

        // "Orleans": "Warning" must not quiet the product's own OrleansSessions.* categories (keys match by prefix).
        var session = await CreateSessionAsync(http, userId: null);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/sessions/{session}")).StatusCode);
        await Poll.UntilAsync(
            () => Task.FromResult(
                LogLines.Categories(host.Output, "info").Contains("OrleansSessions.Sessions.SessionGrain")
                && host.Output.Any(l => l.Contains(" ended: ", StringComparison.Ordinal))),
            Deadline,
            "the Information line of the ended session");
    }

    [Fact]
    public async Task Stopping_the_embedded_host_with_sessions_that_slid_since_they_were_stored_logs_no_errors_and_no_stack_traces()
    {
        using var http = await StartEmbeddedAsync();

        // Bound to a user, and read once: each deactivates with a slide to store, on a silo that is going away.
        for (var i = 0; i < 4; i++)
        {
            var session = await CreateSessionAsync(http, $"shutdown-user-{i}");
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/sessions/{session}")).StatusCode);
        }

        Assert.Equal(0, await host!.StopAsync(Deadline));
        Assert.Empty(LogLines.Errors(host.Output));
        Assert.Empty(LogLines.StackFrames(host.Output));
    }

    private async Task<HttpClient> StartEmbeddedAsync()
    {
        var url = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";
        host = ProcessHost.StartIn(
            ProcessHost.RepositoryRoot,
            "embedded",
            "ApiHost",
            "OrleansSessions.ApiHost",
            new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Orleans__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Orleans__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Auth__DevelopmentKeyFile"] = developmentKeyFile,
            },
            "--urls",
            url);
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        await Poll.UntilAsync(
            async () =>
            {
                Assert.False(host.HasExited, $"The host exited while starting.{Environment.NewLine}{host.Tail()}");
                return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
            },
            Deadline,
            "the embedded host's /health/ready");
        return http.WithKey(File.ReadAllText(developmentKeyFile).Trim());
    }

    private static async Task<string> CreateSessionAsync(HttpClient http, string? userId)
    {
        var response = await http.PostAsJsonAsync("/sessions", new { userId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }
}
