using System.Net;
using System.Net.Http.Json;
using OrleansSessions.Carts;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Carts;

/// <summary>The cart HTTP contract of the API host (embedded mode, real Kestrel).</summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class CartApiTests(EmbeddedApiFixture api)
{
    private readonly HttpClient http = api.Client;

    private static string NewCartId() => $"cart-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_written_line_is_read_back_at_once()
    {
        var id = NewCartId();
        var add = await http.PostAsJsonAsync($"/users/{id}/cart/items", new { sku = "SKU-1", quantity = 3 });
        Assert.True(add.StatusCode == HttpStatusCode.OK, $"cart {id}: add answered {(int)add.StatusCode}");

        var cart = await http.GetFromJsonAsync<CartView>($"/users/{id}/cart");
        Assert.NotNull(cart);
        Assert.True(cart.Lines.SequenceEqual([new CartLine("SKU-1", 3)]), $"cart {id}: {string.Join(',', cart.Lines)}");
    }

    [Fact]
    public async Task Put_sets_a_quantity_and_delete_removes_the_line()
    {
        var id = NewCartId();
        await http.PostAsJsonAsync($"/users/{id}/cart/items", new { sku = "A", quantity = 1 });
        var put = await http.PutAsJsonAsync($"/users/{id}/cart/items/A", new { quantity = 9 });
        Assert.Equal(9, (await put.ReadJsonAsync<CartView>())!.Lines.Single().Quantity);

        var delete = await http.DeleteAsync($"/users/{id}/cart/items/A");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        var cart = await http.GetFromJsonAsync<CartView>($"/users/{id}/cart");
        Assert.True(cart!.Lines.IsEmpty, $"cart {id} should be empty after the delete");
    }

    [Theory]
    [InlineData("{\"sku\":\"A\",\"quantity\":", "malformed JSON")]
    [InlineData("not json at all", "not JSON")]
    public async Task Malformed_json_is_a_400_problem(string body, string what)
    {
        var response = await http.PostJsonTextAsync($"/users/{NewCartId()}/cart/items", body);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, what);
    }

    [Theory]
    [InlineData("{\"quantity\":1}", "sku")]
    [InlineData("{\"sku\":\"A\"}", "quantity")]
    [InlineData("{\"sku\":\"A\",\"quantity\":\"many\"}", "quantity")]
    [InlineData("{\"sku\":\"A\",\"quantity\":1.5}", "quantity")]
    [InlineData("{\"sku\":\"A\",\"quantity\":0}", "quantity")]
    [InlineData("{\"sku\":\"A\",\"quantity\":1000}", "quantity")]
    [InlineData("{\"sku\":\"\",\"quantity\":1}", "sku")]
    [InlineData("{\"sku\":\"no spaces please\",\"quantity\":1}", "sku")]
    [InlineData("{\"sku\":\"x12345678901234567890123456789012345678901234567890123456789012345\",\"quantity\":1}", "sku")]
    public async Task Missing_or_out_of_range_fields_are_a_400_naming_the_field_and_change_nothing(string body, string field)
    {
        var id = NewCartId();
        var response = await http.PostJsonTextAsync($"/users/{id}/cart/items", body);
        await ProblemAssert.NamesFieldAsync(response, field, body);

        var cart = await http.GetFromJsonAsync<CartView>($"/users/{id}/cart");
        Assert.True(cart!.Version == 0, $"cart {id} changed after a rejected request: {body}");
    }

    [Fact]
    public async Task A_bad_sku_or_cart_id_in_the_path_is_a_400_naming_it()
    {
        await ProblemAssert.NamesFieldAsync(await http.DeleteAsync($"/users/{NewCartId()}/cart/items/bad%20sku"), "sku", "DELETE bad sku");
        await ProblemAssert.NamesFieldAsync(await http.GetAsync($"/users/{new string('c', 65)}/cart"), "userId", "GET long user id");
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/no-such-thing"), HttpStatusCode.NotFound, "GET /no-such-thing");
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_problem_and_changes_nothing()
    {
        var id = NewCartId();
        var padding = new string('x', (int)EmbeddedApiFixture.MaxRequestBodyBytes);
        var response = await http.PostJsonTextAsync($"/users/{id}/cart/items", $"{{\"sku\":\"A\",\"quantity\":1,\"pad\":\"{padding}\"}}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "oversized body");

        var cart = await http.GetFromJsonAsync<CartView>($"/users/{id}/cart");
        Assert.True(cart!.Version == 0, $"cart {id} changed after an oversized request");
    }

    [Fact]
    public async Task A_body_that_is_not_json_by_content_type_is_a_415_problem()
    {
        var response = await http.PostAsync($"/users/{NewCartId()}/cart/items", new StringContent("sku=A&quantity=1"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "text/plain body");
    }
}
