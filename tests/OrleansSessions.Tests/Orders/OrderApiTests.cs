using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansSessions.Carts;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Orders;

/// <summary>Ordering over HTTP in the embedded mode (in-process silo and fake gateway).</summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class OrderApiTests(EmbeddedApiFixture api)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly HttpClient http = api.Client;

    private static HttpRequestMessage Order(string user, string key, string paymentMethod)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/users/{user}/orders") { Content = JsonContent.Create(new { paymentMethod }) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task An_order_from_the_cart_is_accepted_confirmed_shown_in_the_users_history_and_leaves_the_cart()
    {
        var user = $"shopper-{Guid.NewGuid():N}";
        var sku = $"SKU-{Guid.NewGuid():N}"[..16];
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/inventory/{sku}", new { onHand = 5, unitPrice = 1250, currency = "EUR" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/users/{user}/cart/items", new { sku, quantity = 2 })).StatusCode);

        // Twenty clients retry the same order at once: one order.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => http.SendAsync(Order(user, "checkout-1", "pm_card_visa"))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a.StatusCode));
        var location = Assert.Single(answers.Select(a => a.Headers.Location!.OriginalString).Distinct());

        var order = await Poll.ForAsync(
            async () => await http.GetFromJsonAsync<JsonElement>(location) is var o && o.GetProperty("status").GetString() == "Confirmed" ? (JsonElement?)o : null,
            Deadline,
            $"order {location} of {user} to be confirmed");
        Assert.Equal(2500, order!.Value.GetProperty("total").GetInt64());

        await Poll.UntilAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>($"/users/{user}/orders")).EnumerateArray().Any(o => o.GetProperty("status").GetString() == "Confirmed"),
            Deadline,
            $"the order history of {user} to show the confirmed order");
        await Poll.UntilAsync(
            async () => (await http.GetFromJsonAsync<CartView>($"/users/{user}/cart"))!.Lines.IsEmpty,
            Deadline,
            $"the cart of {user} to be emptied by the confirmed order");
        Assert.Equal(3, (await http.GetFromJsonAsync<JsonElement>($"/inventory/{sku}")).GetProperty("onHand").GetInt32());
        await Poll.UntilAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>($"/users/{user}/activity")).EnumerateArray().Select(a => a.GetProperty("type").GetString()).ToHashSet()
                .IsSupersetOf(["orders.OrderPlaced", "orders.OrderConfirmed"]),
            Deadline,
            $"the activity feed of {user} to show the order placed and confirmed");

        var reused = await http.SendAsync(Order(user, "checkout-1", "pm_card_chargeDeclined"));
        await ProblemAssert.IsProblemAsync(reused, HttpStatusCode.UnprocessableEntity, "same Idempotency-Key, different body");
    }

    [Fact]
    public async Task An_order_without_an_idempotency_key_is_400_and_places_nothing()
    {
        var user = $"shopper-{Guid.NewGuid():N}";
        var response = await http.PostAsJsonAsync($"/users/{user}/orders", new { paymentMethod = "pm_card_visa" });
        await ProblemAssert.NamesFieldAsync(response, "Idempotency-Key", "order without a key");
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>($"/users/{user}/orders")).EnumerateArray());
    }
}
