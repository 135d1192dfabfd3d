using System.Net;
using System.Text;
using System.Text.Json;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Security;

/// <summary>
/// Who may call what, route by route, over real HTTP (embedded host, real Kestrel, the test API keys and real session
/// tokens): no credential is 401 with a challenge, a service without the route's scope 403, user A's session token on
/// user B's resources the 404 an unknown resource gets (403 on service-only routes) — and B's data is unchanged after.
/// </summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class AccessTests(EmbeddedApiFixture api)
{
    private static readonly string[] AdminOnly = [Scopes.Admin];

    private readonly HttpClient service = api.Client;

    /// <summary>Every operation of the API with what it needs; a new route without a case here fails the first test.</summary>
    private static readonly IReadOnlyList<RouteCase> Routes =
    [
        new("POST /sessions", _ => "/sessions", "{}", Owner.None, Scopes.SessionsWrite),
        new("GET /sessions/{sessionId}", r => $"/sessions/{r.SessionId}", null, Owner.Session, Scopes.SessionsRead),
        new("PATCH /sessions/{sessionId}", r => $"/sessions/{r.SessionId}", """{"theme":"hijacked"}""", Owner.Session, Scopes.SessionsWrite),
        new("DELETE /sessions/{sessionId}", r => $"/sessions/{r.SessionId}", null, Owner.Session, Scopes.SessionsWrite),
        new("PUT /sessions/{sessionId}/attributes/{key}", r => $"/sessions/{r.SessionId}/attributes/theme", "\"hijacked\"", Owner.Session, Scopes.SessionsWrite),
        new("DELETE /sessions/{sessionId}/attributes/{key}", r => $"/sessions/{r.SessionId}/attributes/theme", null, Owner.Session, Scopes.SessionsWrite),
        new("POST /sessions/{sessionId}/rotate", r => $"/sessions/{r.SessionId}/rotate", null, Owner.Session, Scopes.SessionsWrite),
        new("POST /sessions/{sessionId}/login", r => $"/sessions/{r.SessionId}/login", """{"userId":"mallory"}""", Owner.None, Scopes.SessionsAdmin),
        new("POST /sessions/{sessionId}/token", r => $"/sessions/{r.SessionId}/token", null, Owner.Session, Scopes.SessionsWrite),
        new("POST /tokens/validate", _ => "/tokens/validate", """{"token":"{token}"}""", Owner.None, Scopes.SessionsRead),
        new("GET /users/{userId}/sessions", r => $"/users/{r.UserId}/sessions", null, Owner.None, Scopes.SessionsAdmin),
        new("DELETE /users/{userId}/sessions", r => $"/users/{r.UserId}/sessions", null, Owner.None, Scopes.SessionsAdmin),
        new("DELETE /users/{userId}/sessions/{sessionIdHash}", r => $"/users/{r.UserId}/sessions/{SessionIds.Hash(r.SessionId)}", null, Owner.None, Scopes.SessionsAdmin),
        new("GET /users/{userId}/cart", r => $"/users/{r.UserId}/cart", null, Owner.User, Scopes.Carts),
        new("POST /users/{userId}/cart/items", r => $"/users/{r.UserId}/cart/items", """{"sku":"HIJACK","quantity":9}""", Owner.User, Scopes.Carts),
        new("PUT /users/{userId}/cart/items/{sku}", r => $"/users/{r.UserId}/cart/items/{r.Sku}", """{"quantity":9}""", Owner.User, Scopes.Carts),
        new("DELETE /users/{userId}/cart/items/{sku}", r => $"/users/{r.UserId}/cart/items/{r.Sku}", null, Owner.User, Scopes.Carts),
        new("GET /sessions/{sessionId}/cart", r => $"/sessions/{r.SessionId}/cart", null, Owner.Session, Scopes.Carts),
        new("POST /sessions/{sessionId}/cart/items", r => $"/sessions/{r.SessionId}/cart/items", """{"sku":"HIJACK","quantity":9}""", Owner.Session, Scopes.Carts),
        new("PUT /sessions/{sessionId}/cart/items/{sku}", r => $"/sessions/{r.SessionId}/cart/items/{r.Sku}", """{"quantity":9}""", Owner.Session, Scopes.Carts),
        new("DELETE /sessions/{sessionId}/cart/items/{sku}", r => $"/sessions/{r.SessionId}/cart/items/{r.Sku}", null, Owner.Session, Scopes.Carts),
        new("POST /users/{userId}/orders", r => $"/users/{r.UserId}/orders", """{"paymentMethod":"pm_card_visa"}""", Owner.User, Scopes.Orders),
        new("GET /users/{userId}/orders", r => $"/users/{r.UserId}/orders", null, Owner.User, Scopes.Orders),
        new("GET /users/{userId}/activity", r => $"/users/{r.UserId}/activity", null, Owner.User, Scopes.Orders),
        new("GET /users/{userId}/overview", r => $"/users/{r.UserId}/overview", null, Owner.User, Scopes.SessionsAdmin, Scopes.Carts, Scopes.Orders),
        new("GET /orders/{orderId}", r => $"/orders/{r.OrderId}", null, Owner.CheckedByEndpoint, Scopes.Orders),
        new("GET /admin/sagas", _ => "/admin/sagas", null, Owner.None, Scopes.Admin),
        new("POST /admin/sagas/{orderId}/retry", r => $"/admin/sagas/{r.OrderId}/retry", null, Owner.None, Scopes.Admin),
        new("GET /admin/dead-letters", _ => "/admin/dead-letters", null, Owner.None, Scopes.Admin),
        new("POST /admin/dead-letters/{id}/replay", _ => "/admin/dead-letters/1/replay", null, Owner.None, Scopes.Admin),
        new("GET /inventory/{sku}", r => $"/inventory/{r.Sku}", null, Owner.AnyEndUser, Scopes.InventoryRead),
        new("PUT /inventory/{sku}", r => $"/inventory/{r.Sku}", """{"onHand":0,"unitPrice":1,"currency":"EUR"}""", Owner.None, Scopes.InventoryAdmin),
    ];

    [Fact]
    public async Task Every_documented_operation_has_an_access_case()
    {
        var contract = await OpenApiContract.FetchAsync(service);
        var documented = contract.Operations.Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
        var covered = Routes.Select(r => r.Operation).Order(StringComparer.Ordinal).ToList();
        Assert.True(documented.SequenceEqual(covered),
            $"operations without an access case: {string.Join(", ", documented.Except(covered))}; cases without an operation: {string.Join(", ", covered.Except(documented))}");
    }

    [Fact]
    public async Task Without_a_valid_credential_every_route_is_401_with_a_challenge()
    {
        var victim = await ResourcesAsync("victim");
        using var anonymous = api.Factory.AnonymousClient();
        using var unknownKey = api.Factory.AnonymousClient().WithKey("osk_not_a_key_of_this_host");
        using var forgedToken = api.Factory.BearerClient("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl");
        foreach (var route in Routes)
        {
            foreach (var (caller, name) in new[] { (anonymous, "no credential"), (unknownKey, "an unknown API key"), (forgedToken, "a forged bearer token") })
            {
                using var response = await SendAsync(caller, route, victim);
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, $"{route.Operation} with {name}");
                Assert.True(response.Headers.WwwAuthenticate.Count > 0, $"{route.Operation} with {name}: 401 without WWW-Authenticate");
            }
        }

        await AssertUnchangedAsync(victim);
    }

    [Fact]
    public async Task A_service_lacking_any_scope_the_route_needs_is_403_and_changes_nothing()
    {
        var victim = await ResourcesAsync("victim");
        foreach (var route in Routes)
        {
            foreach (var key in route.Scopes.Select(TestCredentials.AllBut).Append(TestCredentials.NoScopes))
            {
                using var client = api.Factory.AnonymousClient().WithKey(key);
                using var response = await SendAsync(client, route, victim);
                var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, $"{route.Operation} without {string.Join(" or ", route.Scopes)}");
                Assert.Contains(route.Scopes, s => problem.GetProperty("detail").GetString()!.Contains($"'{s}'", StringComparison.Ordinal));
            }
        }

        await AssertUnchangedAsync(victim);
    }

    [Fact]
    public async Task A_service_with_just_the_routes_scope_is_let_through()
    {
        foreach (var route in Routes.Where(r => r.Scopes.Length == 1))
        {
            var own = await ResourcesAsync("own");
            using var client = api.Factory.AnonymousClient().WithKey(TestCredentials.Only(route.Scopes[0]));
            using var response = await SendAsync(client, route, own);
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                $"{route.Operation} with only {route.Scopes[0]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task User_As_session_token_on_user_Bs_resources_is_refused_on_every_route_and_B_is_unchanged()
    {
        var victim = await ResourcesAsync("victim");
        var attacker = await ResourcesAsync("attacker");
        using var client = api.Factory.BearerClient(attacker.Token);
        foreach (var route in Routes)
        {
            using var response = await SendAsync(client, route, victim);
            var label = $"{route.Operation}: user {attacker.UserId}'s token on user {victim.UserId}'s resource";
            switch (route.Owner)
            {
                case Owner.None:
                    await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, label);
                    break;
                case Owner.AnyEndUser:
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{label}: stock belongs to nobody, expected 200, got {(int)response.StatusCode}");
                    break;
                default:
                    await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, label);
                    break;
            }
        }

        await AssertUnchangedAsync(victim);
    }

    [Fact]
    public async Task An_end_user_reaches_their_own_session_cart_and_orders()
    {
        foreach (var route in Routes.Where(r => r.Owner is not Owner.None))
        {
            var own = await ResourcesAsync("own");
            using var client = api.Factory.BearerClient(own.Token);
            using var response = await SendAsync(client, route, own);
            Assert.True(response.IsSuccessStatusCode,
                $"{route.Operation} with user {own.UserId}'s own token: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task An_anonymous_sessions_token_reaches_its_own_session_and_cart_but_no_user()
    {
        var (sessionId, token) = await service.SignInAsync(userId: null);
        var victim = await ResourcesAsync("victim");
        using var client = api.Factory.BearerClient(token);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/sessions/{sessionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonTextAsync($"/sessions/{sessionId}/cart/items", """{"sku":"A1","quantity":1}""")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/users/{victim.UserId}/cart"), HttpStatusCode.NotFound, "an anonymous token on a user's cart");
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/orders/{victim.OrderId}"), HttpStatusCode.NotFound, "an anonymous token on a user's order");
    }

    [Fact]
    public async Task Impersonation_an_end_user_or_a_service_without_sessions_admin_cannot_bind_a_user_or_mint_their_token()
    {
        var attacker = await ResourcesAsync("attacker");
        var victim = $"victim-{Guid.NewGuid():N}";
        using var endUser = api.Factory.BearerClient(attacker.Token);
        using var writer = api.Factory.AnonymousClient().WithKey(TestCredentials.Only(Scopes.SessionsWrite));

        await ProblemAssert.IsProblemAsync(
            await endUser.PostJsonTextAsync("/sessions", $$"""{"userId":"{{victim}}"}"""), HttpStatusCode.Forbidden, "an end user creating a session bound to another user");
        await ProblemAssert.IsProblemAsync(
            await endUser.PostJsonTextAsync($"/sessions/{attacker.SessionId}/login", $$"""{"userId":"{{victim}}"}"""), HttpStatusCode.Forbidden, "an end user binding another user to their own session");
        var refused = await ProblemAssert.IsProblemAsync(
            await writer.PostJsonTextAsync("/sessions", $$"""{"userId":"{{victim}}"}"""), HttpStatusCode.Forbidden, "a sessions:write service binding a user at creation");
        Assert.Contains("'sessions:admin'", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing was made in the victim's name: no session to mint a token from.
        var sessions = await service.GetAsync($"/users/{victim}/sessions");
        Assert.Equal("[]", await sessions.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Listing_and_ending_a_users_sessions_is_only_for_services_with_sessions_admin()
    {
        var victim = await ResourcesAsync("victim");
        var attacker = await ResourcesAsync("attacker");
        using var endUser = api.Factory.BearerClient(attacker.Token);
        using var reader = api.Factory.AnonymousClient().WithKey(TestCredentials.Only(Scopes.SessionsRead));

        foreach (var client in new[] { endUser, reader })
        {
            await ProblemAssert.IsProblemAsync(await client.GetAsync($"/users/{victim.UserId}/sessions"), HttpStatusCode.Forbidden, $"listing {victim.UserId}'s sessions");
            await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/users/{victim.UserId}/sessions"), HttpStatusCode.Forbidden, $"ending {victim.UserId}'s sessions");
        }

        await AssertUnchangedAsync(victim);
    }

    [Fact]
    public async Task Lock_out_an_end_user_cannot_fill_another_users_session_limit()
    {
        var attacker = await ResourcesAsync("attacker");
        var victim = $"victim-{Guid.NewGuid():N}";
        using var endUser = api.Factory.BearerClient(attacker.Token);
        for (var i = 0; i < 12; i++)
        {
            using var attempt = await endUser.PostJsonTextAsync("/sessions", $$"""{"userId":"{{victim}}"}""");
            Assert.Equal(HttpStatusCode.Forbidden, attempt.StatusCode);
        }

        // The victim's own login (through the login service's credential) still works.
        var login = await service.PostJsonTextAsync("/sessions", $$"""{"userId":"{{victim}}"}""");
        Assert.True(login.StatusCode == HttpStatusCode.Created, $"{victim}'s own login: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_session_token_stops_opening_doors_when_its_session_ends()
    {
        var user = await ResourcesAsync("leaving");
        using var client = api.Factory.BearerClient(user.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/users/{user.UserId}/cart")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/sessions/{user.SessionId}")).StatusCode);

        using var after = await client.GetAsync($"/users/{user.UserId}/cart");
        await ProblemAssert.IsProblemAsync(after, HttpStatusCode.Unauthorized, $"user {user.UserId}'s token after logout");
        Assert.Contains("invalid_token", after.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Access_tokens_from_the_configured_issuer_carry_their_scopes_and_nothing_else_passes()
    {
        var own = await ResourcesAsync("jwt");
        var cart = $"/users/{own.UserId}/cart";
        async Task<HttpStatusCode> GetAsync(string token, string path)
        {
            using var client = api.Factory.BearerClient(token);
            using var response = await client.GetAsync(path);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await GetAsync(api.Issuer.Issue("bff", "carts orders"), cart));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(api.Issuer.Issue("bff", "carts orders"), "/admin/sagas"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(api.Issuer.Issue("ops", "", scp: AdminOnly), "/admin/sagas"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(api.Issuer.Issue("ops", "", scp: "admin carts"), cart));

        using var otherKey = System.Security.Cryptography.RSA.Create(2048);
        var refused = new Dictionary<string, string>
        {
            ["another audience"] = api.Issuer.Issue("bff", "carts", audience: "someone-else"),
            ["expired"] = api.Issuer.Issue("bff", "carts", lifetime: TimeSpan.FromMinutes(-10)),
            ["another issuer"] = api.Issuer.Issue("bff", "carts", issuer: "https://evil.example"),
            ["another signing key"] = api.Issuer.Issue("bff", "carts", signingKey: new Microsoft.IdentityModel.Tokens.RsaSecurityKey(otherKey) { KeyId = TestOidcIssuer.KeyId }),
        };
        foreach (var (why, token) in refused)
        {
            Assert.True(await GetAsync(token, cart) == HttpStatusCode.Unauthorized, $"an access token from {why} must be 401");
        }
    }

    /// <summary>A user with a session, its token, a cart line, an anonymous session with a cart line, a SKU and an order.</summary>
    private async Task<Resources> ResourcesAsync(string prefix)
    {
        var user = $"{prefix}-{Guid.NewGuid():N}";
        var sku = $"SKU-{Guid.NewGuid():N}";
        var (sessionId, token) = await service.SignInAsync(user, """{"theme":"dark"}""");
        await ExpectAsync(await service.PutAsync($"/inventory/{sku}", Json("""{"onHand":5,"unitPrice":100,"currency":"EUR"}""")), $"stock {sku}");
        await ExpectAsync(await service.PostJsonTextAsync($"/users/{user}/cart/items", $$"""{"sku":"{{sku}}","quantity":1}"""), $"{user}'s cart");
        await ExpectAsync(await service.PostJsonTextAsync($"/sessions/{sessionId}/cart/items", $$"""{"sku":"{{sku}}","quantity":1}"""), $"{user}'s session cart");
        using var order = new HttpRequestMessage(HttpMethod.Post, $"/users/{user}/orders") { Content = Json("""{"paymentMethod":"pm_card_visa"}""") };
        order.Headers.Add("Idempotency-Key", "setup");
        var placed = await service.SendAsync(order);
        await ExpectAsync(placed, $"{user}'s order");
        return new Resources(user, sessionId, placed.Headers.Location!.ToString().Split('/')[^1], sku, token);
    }

    /// <summary>What an attack must not have changed: the session, its attributes, both carts and the orders.</summary>
    private async Task AssertUnchangedAsync(Resources victim)
    {
        var session = await service.GetAsync($"/sessions/{victim.SessionId}");
        var body = await session.Content.ReadAsStringAsync();
        Assert.True(session.StatusCode == HttpStatusCode.OK, $"user {victim.UserId}'s session {SessionIds.Hash(victim.SessionId)} must live on: {body}");
        Assert.Equal("\"dark\"", JsonDocument.Parse(body).RootElement.GetProperty("attributes").GetProperty("theme").GetRawText());
        foreach (var cart in new[] { $"/users/{victim.UserId}/cart", $"/sessions/{victim.SessionId}/cart" })
        {
            var lines = JsonDocument.Parse(await service.GetStringAsync(cart)).RootElement.GetProperty("lines");
            Assert.True(lines.GetArrayLength() <= 1 && !lines.ToString().Contains("HIJACK", StringComparison.Ordinal), $"{cart} changed: {lines}");
        }

        var sessions = JsonDocument.Parse(await service.GetStringAsync($"/users/{victim.UserId}/sessions")).RootElement;
        Assert.True(sessions.GetArrayLength() == 1, $"user {victim.UserId} must still have exactly one session: {sessions}");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, RouteCase route, Resources resources)
    {
        var method = route.Operation.Split(' ')[0];
        var request = new HttpRequestMessage(new HttpMethod(method), route.Path(resources));
        if (route.Body?.Replace("{token}", resources.Token, StringComparison.Ordinal) is { } body)
        {
            request.Content = route.Operation.StartsWith("PATCH", StringComparison.Ordinal)
                ? new StringContent(body, Encoding.UTF8, "application/merge-patch+json")
                : Json(body);
        }

        request.Headers.Add("Idempotency-Key", $"access-{Guid.NewGuid():N}");
        return await client.SendAsync(request);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, string what)
        => Assert.True(response.IsSuccessStatusCode, $"setup: {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed record RouteCase(string Operation, Func<Resources, string> Path, string? Body, Owner Owner, params string[] Scopes);

    private sealed record Resources(string UserId, string SessionId, string OrderId, string Sku, string Token);
}
