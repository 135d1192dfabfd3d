using System.Net;
using System.Net.Http.Json;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Carts;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Carts;

/// <summary>Anonymous carts over HTTP: they merge into the user's cart by reacting to the session's events.</summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class CartMergeTests(EmbeddedApiFixture api)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly HttpClient http = api.Client;

    private async Task<string> NewSessionAsync()
    {
        var response = await http.PostAsync("/sessions", content: null);
        return (await response.Content.ReadFromJsonAsync<SessionResponse>())!.Id;
    }

    private async Task AddAsync(string cartPath, string sku, int quantity)
    {
        var response = await http.PostAsJsonAsync($"{cartPath}/items", new { sku, quantity });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{cartPath}: add {sku} answered {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Logging_in_merges_the_anonymous_cart_into_the_users_and_reports_what_did_not_fit()
    {
        var user = $"merge-{Guid.NewGuid():N}";
        await AddAsync($"/users/{user}/cart", "FULL", 998);
        var session = await NewSessionAsync();
        await AddAsync($"/sessions/{session}/cart", "NEW", 2);
        await AddAsync($"/sessions/{session}/cart", "FULL", 5);

        var login = await http.PostAsJsonAsync($"/sessions/{session}/login", new { userId = user });
        var bound = (await login.Content.ReadFromJsonAsync<SessionResponse>())!;

        var merged = await Poll.ForAsync(
            async () => await http.GetFromJsonAsync<CartView>($"/users/{user}/cart") is { } cart && cart.Lines.Any(l => l.Sku == "NEW") ? cart : null,
            Deadline,
            $"the anonymous cart of user {user}'s session to merge into the user's cart");

        Assert.Equal([new CartLine("FULL", 999), new CartLine("NEW", 2)], merged.Lines.ToArray());
        Assert.Equal([new CartLine("FULL", 4)], merged.NotMerged.ToArray());
        Assert.True((await http.GetFromJsonAsync<CartView>($"/sessions/{bound.Id}/cart"))!.Lines.IsEmpty, $"user {user}: the new session id still holds the anonymous lines");
    }

    [Fact]
    public async Task An_anonymous_cart_follows_its_session_to_a_new_id_and_is_gone_when_the_session_ends()
    {
        var session = await NewSessionAsync();
        await AddAsync($"/sessions/{session}/cart", "A", 1);

        var rotated = (await (await http.PostAsync($"/sessions/{session}/rotate", content: null)).Content.ReadFromJsonAsync<SessionResponse>())!;
        await Poll.UntilAsync(
            async () => (await http.GetFromJsonAsync<CartView>($"/sessions/{rotated.Id}/cart"))!.Lines.Any(l => l.Sku == "A"),
            Deadline,
            "the anonymous cart to follow its session to the new id");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/sessions/{session}/cart")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/sessions/{rotated.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/sessions/{rotated.Id}/cart")).StatusCode);
    }

    [Fact]
    public async Task A_retried_add_with_the_same_idempotency_key_adds_once()
    {
        var path = $"/users/idem-{Guid.NewGuid():N}/cart/items";
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { sku = "A", quantity = 2 }) };
            request.Headers.Add("Idempotency-Key", "retry-1");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        }

        var cart = await http.GetFromJsonAsync<CartView>(path[..^"/items".Length]);
        Assert.Equal([new CartLine("A", 2)], cart!.Lines.ToArray());
    }
}
