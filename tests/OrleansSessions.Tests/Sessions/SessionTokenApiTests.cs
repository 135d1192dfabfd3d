using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSessions.Client.Tokens;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Sessions.SessionTokenForgery;

namespace OrleansSessions.Tests.Sessions;

/// <summary>
/// <c>POST /sessions/{id}/token</c> and <c>POST /tokens/validate</c> through the API host (embedded mode, real Kestrel,
/// its default ephemeral key), with sessions created, rotated and ended through the session endpoints.
/// </summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class SessionTokenApiTests(EmbeddedApiFixture api)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private readonly HttpClient http = api.Client;

    private IGrainFactory Grains => api.Factory.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The host's own instance: its key lets these tests forge tokens that differ from good ones in one respect.</summary>
    private SessionTokens HostTokens => api.Factory.Services.GetRequiredService<SessionTokens>();

    private ISessionGrain Session(string id) => Grains.GetSessionGrain(id);

    /// <summary>Creates a session over HTTP; the view (with its security stamp) is peeked from the grain, without sliding it.</summary>
    private async Task<TestSession> NewSessionAsync(string? userId = null)
    {
        var response = await http.PostAsJsonAsync("/sessions", new { userId });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /sessions answered {(int)response.StatusCode}: {body}");
        var id = JsonSerializer.Deserialize<JsonElement>(body).GetProperty("id").GetString()!;
        return new(id, await Session(id).PeekAsync() ?? throw new InvalidOperationException($"session {SessionIds.Hash(id)} vanished after its creation"));
    }

    private async Task<string> PostForNewIdAsync(string uri, object? body, string sessionId)
    {
        var response = await http.PostAsJsonAsync(uri, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"session {SessionIds.Hash(sessionId)}: {uri.Replace(sessionId, SessionIds.Hash(sessionId), StringComparison.Ordinal)} answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<JsonElement>(text).GetProperty("id").GetString()!;
    }

    private async Task EndAsync(string sessionId)
    {
        var response = await http.DeleteAsync($"/sessions/{sessionId}");
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"session {SessionIds.Hash(sessionId)}: DELETE answered {(int)response.StatusCode}");
    }

    private async Task<SessionToken> IssueAsync(string sessionId)
    {
        var response = await http.PostAsync($"/sessions/{sessionId}/token", content: null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"session {SessionIds.Hash(sessionId)}: token answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<SessionToken>(body, JsonSerializerOptions.Web)!;
    }

    private Task<HttpResponseMessage> ValidateAsync(string token) => http.PostAsJsonAsync("/tokens/validate", new { token });

    private async Task<JsonElement> AssertRefusedAsync(string token, string what)
    {
        var response = await ValidateAsync(token);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, what);
        Assert.True(response.Headers.WwwAuthenticate.Count == 1, $"{what}: a 401 without WWW-Authenticate");
        return problem;
    }

    [Fact]
    public async Task A_token_issued_over_http_validates_over_http_to_its_session_and_user()
    {
        var user = NewUserId();
        var session = await NewSessionAsync(user);

        var issued = await IssueAsync(session.SessionId);
        var response = await ValidateAsync(issued.Token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"session {SessionIds.Hash(session.SessionId)}: validate answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(SessionIds.Hash(session.SessionId), body.GetProperty("sessionIdHash").GetString());
        Assert.DoesNotContain(session.SessionId, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(user, body.GetProperty("userId").GetString());
        Assert.Equal(issued.ExpiresAt, body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_issued_token_expires_no_later_than_its_session()
    {
        var session = await NewSessionAsync();

        var issued = await IssueAsync(session.SessionId);
        var current = await Session(session.SessionId).PeekAsync();

        Assert.NotNull(current);
        Assert.True(issued.ExpiresAt <= current.ExpiresAt, $"session {SessionIds.Hash(session.SessionId)}: token expires {issued.ExpiresAt:O} after the session {current.ExpiresAt:O}");
        Assert.Equal(issued.ExpiresAt.ToUnixTimeSeconds(), ReadPayload(issued.Token).GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task Every_refused_token_gets_the_same_401_problem_whatever_the_reason()
    {
        var session = await NewSessionAsync(NewUserId());
        var ended = await NewSessionAsync(NewUserId());
        var key = HostTokens.SigningKey;
        var now = DateTimeOffset.UtcNow;
        var issued = await IssueAsync(session.SessionId);
        var endedToken = await IssueAsync(ended.SessionId);
        await EndAsync(ended.SessionId);

        var expired = Payload(session, now.AddHours(-1), Lifetime);
        var otherAudience = Payload(session, now, Lifetime);
        otherAudience["aud"] = "billing";
        var otherIssuer = Payload(session, now, Lifetime);
        otherIssuer["iss"] = "someone-else";
        var plainJwt = Header(key);
        plainJwt["typ"] = "JWT";

        var control = await ValidateAsync(Sign(key, Payload(session, now, Lifetime)));
        Assert.True(control.StatusCode == HttpStatusCode.OK, $"session {SessionIds.Hash(session.SessionId)}: the unchanged forgery (control) answered {(int)control.StatusCode}");

        var refused = new Dictionary<string, string>
        {
            ["alg none"] = Unsigned(Payload(session, now, Lifetime)),
            ["another key"] = Sign(RandomKey(), Payload(session, now, Lifetime)),
            ["tampered payload"] = Tamper(issued.Token, p => p["exp"] = now.AddDays(30).ToUnixTimeSeconds()),
            ["expired"] = Sign(key, expired),
            ["another audience"] = Sign(key, otherAudience),
            ["another issuer"] = Sign(key, otherIssuer),
            ["a plain JWT of the same key"] = Sign(key, Payload(session, now, Lifetime), header: plainJwt),
            ["an unknown key id"] = Sign(WithKeyId(key, "unknown"), Payload(session, now, Lifetime)),
            ["a lifetime beyond Tokens:Lifetime"] = Sign(key, Payload(session, now, Lifetime * 4)),
            ["not a token"] = "not a token",
            ["invalidated session"] = endedToken.Token,
        };
        var problems = new List<(string What, JsonElement Problem)>();
        foreach (var (what, token) in refused)
        {
            problems.Add((what, await AssertRefusedAsync(token, $"session {SessionIds.Hash(session.SessionId)}: {what}")));
        }

        var (firstWhat, first) = problems[0];
        foreach (var (what, problem) in problems)
        {
            foreach (var member in new[] { "type", "title", "detail", "status" })
            {
                Assert.True(
                    first.GetProperty(member).ToString() == problem.GetProperty(member).ToString(),
                    $"session {SessionIds.Hash(session.SessionId)}: '{member}' of '{what}' differs from '{firstWhat}': {problem} vs {first}");
            }

            Assert.False(problem.TryGetProperty("errors", out _), $"session {SessionIds.Hash(session.SessionId)}: '{what}' names a reason: {problem}");
        }
    }

    [Fact]
    public async Task Issued_and_validated_tokens_are_answered_no_store_and_so_are_refusals()
    {
        var session = await NewSessionAsync(NewUserId());

        var issue = await http.PostAsync($"/sessions/{session.SessionId}/token", content: null);
        var issued = await issue.Content.ReadFromJsonAsync<SessionToken>(JsonSerializerOptions.Web);
        var validate = await ValidateAsync(issued!.Token);
        var refuse = await ValidateAsync("not a token");

        foreach (var (what, response, status) in new[]
        {
            ("POST /sessions/{id}/token", issue, HttpStatusCode.OK),
            ("POST /tokens/validate", validate, HttpStatusCode.OK),
            ("POST /tokens/validate of garbage", refuse, HttpStatusCode.Unauthorized),
        })
        {
            Assert.True(response.StatusCode == status, $"session {SessionIds.Hash(session.SessionId)}: {what} answered {(int)response.StatusCode}");
            Assert.True(response.Headers.CacheControl is { NoStore: true } cache && cache.ToString() == "no-store",
                $"session {SessionIds.Hash(session.SessionId)}: {what} answered Cache-Control '{response.Headers.CacheControl}'");
        }
    }

    [Fact]
    public async Task A_cluster_mode_host_starts_with_a_key_ring_alone_and_signs_with_its_active_key()
    {
        using var host = new ApiHostFactory(new Dictionary<string, string>
        {
            ["Orleans:Mode"] = "Cluster",
            ["ConnectionStrings:Orleans"] = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=1",
            ["Tokens:SigningKeys:a"] = Convert.ToBase64String(RandomKey().Key),
            ["Tokens:SigningKeys:b"] = Convert.ToBase64String(RandomKey().Key),
            ["Tokens:ActiveKeyId"] = "b",
        });
        using var client = host.StartClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal("b", host.Services.GetRequiredService<SessionTokens>().SigningKey.KeyId);
    }

    [Fact]
    public async Task Rotating_the_session_revokes_its_token_at_once()
    {
        var session = await NewSessionAsync(NewUserId());
        var issued = await IssueAsync(session.SessionId);

        var rotatedId = await PostForNewIdAsync($"/sessions/{session.SessionId}/rotate", body: null, session.SessionId);

        await AssertRefusedAsync(issued.Token, $"session {SessionIds.Hash(session.SessionId)}: token of the id before rotation");
        var fresh = await ValidateAsync((await IssueAsync(rotatedId)).Token);
        Assert.True(fresh.StatusCode == HttpStatusCode.OK, $"session {SessionIds.Hash(rotatedId)}: token of the new id answered {(int)fresh.StatusCode}");
    }

    [Fact]
    public async Task Logging_in_on_an_anonymous_session_revokes_its_anonymous_token_at_once()
    {
        var session = await NewSessionAsync();
        var issued = await IssueAsync(session.SessionId);

        var user = NewUserId();
        var loggedInId = await PostForNewIdAsync($"/sessions/{session.SessionId}/login", new { userId = user }, session.SessionId);

        await AssertRefusedAsync(issued.Token, $"session {SessionIds.Hash(session.SessionId)}: anonymous token after login");
        var fresh = await ValidateAsync((await IssueAsync(loggedInId)).Token);
        var body = await fresh.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(
            fresh.StatusCode == HttpStatusCode.OK && body.GetProperty("userId").GetString() == user,
            $"session {SessionIds.Hash(loggedInId)}: token after login answered {(int)fresh.StatusCode}: {body}");
    }

    [Fact]
    public async Task Invalidating_the_session_revokes_its_token_at_once()
    {
        var session = await NewSessionAsync(NewUserId());
        var issued = await IssueAsync(session.SessionId);

        await EndAsync(session.SessionId);

        await AssertRefusedAsync(issued.Token, $"session {SessionIds.Hash(session.SessionId)}: token of an invalidated session");
    }

    [Fact]
    public async Task Logging_the_user_out_everywhere_revokes_the_tokens_of_all_their_sessions_at_once()
    {
        var user = NewUserId();
        var first = await NewSessionAsync(user);
        var second = await NewSessionAsync(user);
        var firstToken = await IssueAsync(first.SessionId);
        var secondToken = await IssueAsync(second.SessionId);

        var logout = await http.DeleteAsync($"/users/{user}/sessions");
        Assert.True(logout.StatusCode == HttpStatusCode.OK, $"sessions {SessionIds.Hash(first.SessionId)}, {SessionIds.Hash(second.SessionId)}: logout everywhere answered {(int)logout.StatusCode}");

        await AssertRefusedAsync(firstToken.Token, $"session {SessionIds.Hash(first.SessionId)}: token after logout everywhere");
        await AssertRefusedAsync(secondToken.Token, $"session {SessionIds.Hash(second.SessionId)}: token after logout everywhere");
    }

    [Fact]
    public async Task Asking_a_token_for_an_unknown_ended_or_malformed_session_id_is_the_same_404_problem_as_reading_an_unknown_session()
    {
        var ended = await NewSessionAsync();
        await EndAsync(ended.SessionId);

        var reference = await ProblemAssert.IsProblemAsync(
            await http.GetAsync($"/sessions/{SessionIds.New()}"), HttpStatusCode.NotFound, "GET of an unknown session");
        foreach (var (what, id) in new[] { ("unknown", SessionIds.New()), ("ended", ended.SessionId), ("malformed", "not-a-session-id") })
        {
            var response = await http.PostAsync($"/sessions/{id}/token", content: null);
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, $"token for an {what} session id");
            foreach (var member in new[] { "type", "title", "detail" })
            {
                Assert.True(
                    reference.GetProperty(member).ToString() == problem.GetProperty(member).ToString(),
                    $"'{member}' of the 404 for an {what} session id differs from GET of an unknown session: {problem} vs {reference}");
            }
        }
    }

    [Fact]
    public async Task A_validate_request_without_a_token_is_a_400_naming_it()
    {
        await ProblemAssert.NamesFieldAsync(await http.PostJsonTextAsync("/tokens/validate", "{}"), "token", "validate without token");
    }
}
