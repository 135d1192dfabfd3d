using System.Globalization;
using System.Net;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Security;

/// <summary>An embedded host with small limits: a burst of 3 and 1 a second, everywhere but health and the reference.</summary>
public sealed class RateLimitedApiFixture : IDisposable
{
    public const int Burst = 3;

    public RateLimitedApiFixture()
    {
        var settings = new Dictionary<string, string>
        {
            ["Orleans:Mode"] = "Embedded",
            ["Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
        foreach (var limit in new[] { "PerUser", "PerAnonymousAddress", "Sensitive" })
        {
            settings[$"RateLimits:{limit}:PerSecond"] = "1";
            settings[$"RateLimits:{limit}:Burst"] = Burst.ToString(CultureInfo.InvariantCulture);
        }

        // Services: high enough for the set-up, low enough to reach in a test.
        settings["RateLimits:PerCredential:PerSecond"] = "1";
        settings["RateLimits:PerCredential:Burst"] = "40";
        Factory = new ApiHostFactory(settings);
        Client = Factory.StartClient();
    }

    public ApiHostFactory Factory { get; }

    public HttpClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
    }
}

/// <summary>
/// Rate limits per credential and per end user, stricter on session creation and token validation: past the limit a
/// caller gets 429 with Retry-After as the document declares it, and other callers are not slowed by it.
/// </summary>
public sealed class RateLimitTests(RateLimitedApiFixture api) : IClassFixture<RateLimitedApiFixture>
{
    /// <summary>Far more than a burst: the bucket refills one a second, so a slow machine still runs out.</summary>
    private const int Attempts = 4 * RateLimitedApiFixture.Burst;

    [Fact]
    public async Task Session_creation_past_the_stricter_limit_is_429_with_retry_after_and_other_credentials_go_on()
    {
        using var creator = api.Factory.AnonymousClient().WithKey(TestCredentials.Only(Scopes.SessionsWrite));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < Attempts && limited is null; i++)
        {
            var response = await creator.PostJsonTextAsync("/sessions", "{}");
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.True(limited is not null, $"{Attempts} creations with one key never reached the limit: {string.Join(", ", statuses)}");
        Assert.True(statuses.Take(RateLimitedApiFixture.Burst).All(s => s == HttpStatusCode.Created), $"the first {RateLimitedApiFixture.Burst} must pass: {string.Join(", ", statuses)}");
        await AssertConformsAsync(limited!, "POST /sessions");

        // Another credential has its own bucket.
        using var other = api.Factory.AnonymousClient().WithKey(TestCredentials.AllBut(Scopes.Admin));
        Assert.Equal(HttpStatusCode.Created, (await other.PostJsonTextAsync("/sessions", "{}")).StatusCode);
    }

    [Fact]
    public async Task Token_validation_past_the_stricter_limit_is_429()
    {
        using var validator = api.Factory.AnonymousClient().WithKey(TestCredentials.Only(Scopes.SessionsRead));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Attempts && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            statuses.Add((await validator.PostJsonTextAsync("/tokens/validate", """{"token":"not-a-token"}""")).StatusCode);
        }

        Assert.True(statuses[0] == HttpStatusCode.Unauthorized && statuses[^1] == HttpStatusCode.TooManyRequests,
            $"expected 401s for the bad token, then 429: {string.Join(", ", statuses)}");
    }

    [Fact]
    public async Task Each_end_user_has_a_limit_of_their_own()
    {
        var (first, firstUser) = await SignInAsync();
        var (second, secondUser) = await SignInAsync();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < Attempts && limited is null; i++)
        {
            var response = await first.GetAsync($"/users/{firstUser}/cart");
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        Assert.True(limited is not null, $"user {firstUser}: {Attempts} reads never reached the per-user limit: {string.Join(", ", statuses)}");
        await AssertConformsAsync(limited!, "GET /users/{userId}/cart");
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync($"/users/{secondUser}/cart")).StatusCode);

        first.Dispose();
        second.Dispose();
    }

    [Fact]
    public async Task Health_probes_are_never_limited()
    {
        using var anonymous = api.Factory.AnonymousClient();
        for (var i = 0; i < Attempts; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        }
    }

    private async Task<(HttpClient Client, string UserId)> SignInAsync()
    {
        var user = $"limited-{Guid.NewGuid():N}";
        var (_, token) = await api.Client.SignInAsync(user);
        return (api.Factory.BearerClient(token), user);
    }

    /// <summary>The 429 is a problem with a positive Retry-After, exactly as the OpenAPI document declares it for the route.</summary>
    private async Task AssertConformsAsync(HttpResponseMessage limited, string operation)
    {
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, operation);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"{operation}: 429 needs Retry-After, got '{limited.Headers.RetryAfter}'");
        using var anonymous = api.Factory.AnonymousClient();
        var contract = await OpenApiContract.FetchAsync(anonymous);
        var failures = contract.Check(contract.Operation(operation), await ContractResponse.ReadAsync(limited));
        Assert.True(failures.Count == 0, $"{operation} → 429 against the document: {string.Join("; ", failures)}");
    }
}
