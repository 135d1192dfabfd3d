using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Sessions;

/// <summary>The session HTTP contract of the API host (embedded mode, real Kestrel).</summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class SessionApiTests(EmbeddedApiFixture api)
{
    private readonly HttpClient http = api.Client;

    private async Task<(SessionResponse Session, string ETag)> CreateAsync(object? body = null)
    {
        var response = await http.PostAsJsonAsync("/sessions", body ?? new { attributes = new { cart = "c1" } });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var session = (await response.Content.ReadFromJsonAsync<SessionResponse>())!;
        Assert.Equal($"/sessions/{session.Id}", response.Headers.Location?.OriginalString);
        return (session, response.Headers.ETag!.Tag);
    }

    private static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    private static HttpRequestMessage WithIfMatch(HttpMethod method, string uri, string etag, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        return request;
    }

    [Fact]
    public async Task Create_answers_201_with_location_etag_deadlines_and_the_attributes()
    {
        var (session, etag) = await CreateAsync(new { attributes = new { cart = "c1", n = 2 }, idleTimeoutSeconds = 600 });
        Assert.Equal("\"1\"", etag);
        Assert.Equal(43, session.Id.Length);
        Assert.Equal(TimeSpan.FromMinutes(10), session.IdleExpiresAt - session.CreatedAt);
        Assert.Equal(2, session.Attributes["n"].GetInt32());
    }

    [Fact]
    public async Task Unknown_malformed_and_invalidated_ids_all_answer_the_same_404()
    {
        var (session, _) = await CreateAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/sessions/{session.Id}")).StatusCode);

        var bodies = new List<string>();
        foreach (var id in new[] { session.Id, new string('A', 43), "short", "has%20space" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await http.GetAsync($"/sessions/{id}"), HttpStatusCode.NotFound, $"GET session {id[..Math.Min(5, id.Length)]}…");
            bodies.Add($"{problem.GetProperty("title")}|{problem.GetProperty("detail")}");
        }

        Assert.Single(bodies.Distinct());
    }

    [Fact]
    public async Task A_write_with_a_current_etag_succeeds_and_a_stale_one_is_412_and_changes_nothing()
    {
        var (session, etag) = await CreateAsync();
        var write = await http.SendAsync(WithIfMatch(HttpMethod.Put, $"/sessions/{session.Id}/attributes/theme", etag, Json("{\"dark\":true}")));
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.Equal("\"2\"", write.Headers.ETag!.Tag);

        var stale = await http.SendAsync(WithIfMatch(HttpMethod.Put, $"/sessions/{session.Id}/attributes/theme", etag, Json("false")));
        await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.PreconditionFailed, "stale If-Match");

        var read = (await http.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
        Assert.True(read.Attributes["theme"].GetProperty("dark").GetBoolean() && read.Version == 2, "stale write landed");
    }

    [Fact]
    public async Task Without_if_match_the_last_writer_wins()
    {
        var (session, _) = await CreateAsync();
        await http.PutAsync($"/sessions/{session.Id}/attributes/a", Json("1"));
        await http.PutAsync($"/sessions/{session.Id}/attributes/a", Json("2"));
        var read = (await http.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
        Assert.Equal(2, read.Attributes["a"].GetInt32());
    }

    [Fact]
    public async Task Patch_applies_a_json_merge_patch_and_delete_removes_one_attribute()
    {
        var (session, _) = await CreateAsync(new { attributes = new { prefs = new { lang = "en", tz = "UTC" }, x = 1 } });
        var patched = await http.PatchAsync($"/sessions/{session.Id}", Json("{\"prefs\":{\"tz\":null},\"y\":true}", "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await http.DeleteAsync($"/sessions/{session.Id}/attributes/x");

        var read = (await http.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
        Assert.Equal("{\"lang\":\"en\"}", read.Attributes["prefs"].GetRawText());
        Assert.True(read.Attributes["y"].GetBoolean());
        Assert.False(read.Attributes.ContainsKey("x"), "DELETE of an attribute did not remove it");
    }

    [Fact]
    public async Task A_value_over_the_budget_is_413_naming_the_limit_and_nothing_is_written()
    {
        var (session, _) = await CreateAsync();
        var response = await http.PatchAsync($"/sessions/{session.Id}", Json($"{{\"ok\":1,\"big\":\"{new string('x', 17 * 1024)}\"}}"));
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "17 KiB value");
        Assert.Equal("maxValueBytes", problem.GetProperty("limit").GetString());
        var read = (await http.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
        Assert.False(read.Attributes.ContainsKey("ok"), "part of a refused patch was written");
    }

    [Fact]
    public async Task Rotate_returns_a_new_id_with_the_same_state_and_the_old_id_is_404()
    {
        var (session, _) = await CreateAsync();
        var rotated = (await (await http.PostAsync($"/sessions/{session.Id}/rotate", null)).Content.ReadFromJsonAsync<SessionResponse>())!;
        Assert.NotEqual(session.Id, rotated.Id);
        Assert.Equal("c1", rotated.Attributes["cart"].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/sessions/{session.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/sessions/{rotated.Id}")).StatusCode);
    }

    [Fact]
    public async Task Login_rotates_lists_the_session_for_the_user_and_logout_everywhere_ends_it()
    {
        var user = $"user-{Guid.NewGuid():N}";
        var (session, _) = await CreateAsync();
        var login = await http.PostAsJsonAsync($"/sessions/{session.Id}/login", new { userId = user });
        var bound = (await login.Content.ReadFromJsonAsync<SessionResponse>())!;
        Assert.NotEqual(session.Id, bound.Id);
        Assert.Equal(user, bound.UserId);

        var listed = await http.GetFromJsonAsync<JsonElement>($"/users/{user}/sessions");
        Assert.Equal(1, listed.GetArrayLength());
        Assert.False(listed.GetRawText().Contains(bound.Id, StringComparison.Ordinal), "the user list leaks a full session id");

        var logout = await http.DeleteAsync($"/users/{user}/sessions");
        Assert.Equal(1, (await logout.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ended").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/sessions/{bound.Id}")).StatusCode);
    }

    [Fact]
    public async Task One_session_is_ended_from_the_users_list_by_its_hash()
    {
        var user = $"user-{Guid.NewGuid():N}";
        var (first, _) = await CreateAsync(new { userId = user });
        var (second, _) = await CreateAsync(new { userId = user });
        var hash = OrleansSessions.Sessions.SessionIds.Hash(first.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/users/{user}/sessions/{hash}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/sessions/{first.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/sessions/{second.Id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await http.DeleteAsync($"/users/{user}/sessions/{hash}"), HttpStatusCode.NotFound, "second delete by hash");
    }

    [Fact]
    public async Task The_callers_correlation_id_is_echoed_and_carried_by_the_lifecycle_events()
    {
        var (session, _) = await CreateAsync();
        var cluster = api.Factory.Services.GetRequiredService<IClusterClient>();
        await using var log = await SessionTestKit.ListenAsync(cluster, session.Id);

        using var login = new HttpRequestMessage(HttpMethod.Post, $"/sessions/{session.Id}/login") { Content = Json("{\"userId\":\"corr-user\"}") };
        login.Headers.Add("X-Correlation-Id", "order-4711");
        var response = await http.SendAsync(login);

        Assert.Equal("order-4711", response.Headers.GetValues("X-Correlation-Id").Single());
        var bound = await log.WaitForAsync(OrleansSessions.Sessions.SessionEventKind.UserBound, session.Id);
        Assert.Equal("order-4711", bound.CorrelationId);
    }

    [Theory]
    [InlineData("{\"idleTimeoutSeconds\":0}", "idleTimeoutSeconds")]
    [InlineData("{\"idleTimeoutSeconds\":\"soon\"}", "idleTimeoutSeconds")]
    [InlineData("{\"absoluteLifetimeSeconds\":99999999}", "absoluteLifetimeSeconds")]
    [InlineData("{\"userId\":\"not a user id\"}", "userId")]
    public async Task Bad_create_requests_are_400_naming_the_field(string body, string field)
    {
        await ProblemAssert.NamesFieldAsync(await http.PostAsync("/sessions", Json(body)), field, body);
    }

    [Fact]
    public async Task The_users_session_list_shows_each_sessions_current_last_access_before_the_slide_is_persisted()
    {
        var user = $"lister-{Guid.NewGuid():N}";
        var (session, _) = await CreateAsync(new { userId = user, idleTimeoutSeconds = 3600 });

        // A read slides the last access in the session's memory; with a 1 h idle timeout it is not written for 15 min.
        var read = (await http.GetFromJsonAsync<SessionResponse>($"/sessions/{session.Id}"))!;
        Assert.True(read.LastAccessAt > session.LastAccessAt, $"session {session.Id[..6]}…: the read did not slide");

        var listed = (await http.GetFromJsonAsync<JsonElement>($"/users/{user}/sessions")).EnumerateArray().Single();
        Assert.Equal(read.LastAccessAt, listed.GetProperty("lastAccessAt").GetDateTimeOffset());
    }
}
