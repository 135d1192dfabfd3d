using System.Globalization;
using System.Net;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Api;

[Collection(EmbeddedApiCollection.Name)]
public sealed class HostTests(EmbeddedApiFixture api)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_healthy_in_embedded_mode(string path)
    {
        var response = await api.Client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("/no/such/route", true, true)]
    [InlineData("/sessions", false, true)]
    [InlineData("/users/u1/cart/items", true, false)]
    [InlineData("/no/such/route", true, false)]
    public async Task An_answer_that_leaves_an_oversized_body_unread_closes_the_connection_and_says_so(string path, bool withKey, bool oversized)
    {
        // Answered without reading the body: 404, 401 without a key, 405.
        using var http = new HttpClient { BaseAddress = api.Client.BaseAddress };
        if (withKey)
        {
            http.WithKey(TestCredentials.AllScopes);
        }

        var length = oversized ? EmbeddedApiFixture.MaxRequestBodyBytes + 1 : EmbeddedApiFixture.MaxRequestBodyBytes / 2;
        using var body = new ByteArrayContent(new byte[length]);
        body.Headers.ContentType = new("text/plain");

        using var response = await http.PutAsync(path, body);

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"PUT {path} ({length} bytes): {(int)response.StatusCode}");
        Assert.True(
            (response.Headers.ConnectionClose == true) == oversized,
            $"PUT {path} ({length} bytes, {(int)response.StatusCode}): Connection: close {(oversized ? "missing" : "although the body was small enough to drain")}");
        var next = await http.GetAsync("/health/live");
        Assert.True(next.StatusCode == HttpStatusCode.OK, $"the request after PUT {path} ({length} bytes): {(int)next.StatusCode}");
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/sessions/unknown")]
    [InlineData("/no/such/route")]
    public async Task Every_answer_forbids_sniffing_and_caching_and_names_no_server(string path)
    {
        var response = await api.Client.GetAsync(path);
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var sniff) && sniff.Single() == "nosniff", $"{path}: no nosniff");
        Assert.True(response.Headers.CacheControl?.NoStore == true || response.Headers.CacheControl?.NoCache == true, $"{path}: cacheable ({response.Headers.CacheControl})");
        Assert.False(response.Headers.Contains("Server"), $"{path}: a server banner");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_cart_endpoints()
    {
        var document = await api.Client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/users/{userId}/cart/items\"", document, StringComparison.Ordinal);
        var reference = await api.Client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }
}

/// <summary>Cluster mode with nothing to connect to: the host must still start, answer liveness, and refuse with 503.</summary>
public sealed class UnreachableClusterTests : IDisposable
{
    private readonly ApiHostFactory factory = ApiHostFactory.ForUnreachableCluster();

    public void Dispose() => factory.Dispose();

    [Fact]
    public void Cluster_mode_refuses_to_start_without_a_shared_token_key()
    {
        using var keyless = new ApiHostFactory(new Dictionary<string, string>
        {
            ["Orleans:Mode"] = "Cluster",
            ["ConnectionStrings:Orleans"] = "Host=127.0.0.1;Port=1;Username=postgres",
        });
        var error = Assert.Throws<InvalidOperationException>(() => keyless.StartClient());
        Assert.Contains("Tokens:SigningKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_mode_refuses_to_start_without_configured_credentials()
    {
        using var open = new ApiHostFactory(
            new Dictionary<string, string>
            {
                ["Orleans:Mode"] = "Cluster",
                ["ConnectionStrings:Orleans"] = "Host=127.0.0.1;Port=1;Username=postgres",
                ["Tokens:SigningKey"] = Convert.ToBase64String(new byte[32]),
            },
            testCredentials: false);
        var error = Assert.Throws<InvalidOperationException>(() => open.StartClient());
        Assert.Contains("Cluster mode needs credentials", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_api_key_configuration_stops_the_host_without_quoting_the_hash()
    {
        using var misconfigured = new ApiHostFactory(new Dictionary<string, string>
        {
            ["Auth:ApiKeys:ops:Sha256"] = "not-a-hash-secret",
            ["Auth:ApiKeys:ops:Scopes"] = "admin sessions:everything",
        });
        var error = Assert.Throws<InvalidOperationException>(() => misconfigured.StartClient());
        Assert.Contains("'Auth:ApiKeys:ops': 'Sha256' must be", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown scope 'sessions:everything'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-hash-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grain_backed_endpoints_answer_503_with_retry_after_while_the_cluster_is_unreachable()
    {
        var http = factory.StartClient();

        var live = await http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        var read = await http.GetAsync("/users/c1/cart");
        await ProblemAssert.IsProblemAsync(read, HttpStatusCode.ServiceUnavailable, "GET /users/c1/cart without a cluster");
        Assert.True(read.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 must carry Retry-After");

        var write = await http.PostJsonTextAsync("/users/c1/cart/items", "{\"sku\":\"A\",\"quantity\":1}");
        await ProblemAssert.IsProblemAsync(write, HttpStatusCode.ServiceUnavailable, "POST without a cluster");

        var ready = await http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }
}
