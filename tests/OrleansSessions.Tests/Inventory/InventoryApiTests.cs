using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSessions.Inventory;
using OrleansSessions.Tests.Infrastructure;
using static OrleansSessions.Tests.Inventory.InventoryTestKit;

namespace OrleansSessions.Tests.Inventory;

/// <summary>The inventory HTTP contract of the API host (embedded mode, real Kestrel).</summary>
[Collection(EmbeddedApiCollection.Name)]
public sealed class InventoryApiTests(EmbeddedApiFixture api)
{
    private readonly HttpClient http = api.Client;

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Put_sets_the_stock_and_get_reads_it_back()
    {
        var sku = NewSku();
        var put = await http.PutAsync($"/inventory/{sku}", Json("""{"onHand":12,"unitPrice":1999,"currency":"EUR"}"""));
        Assert.True(put.StatusCode == HttpStatusCode.OK, $"SKU {sku}: PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        var written = await put.ReadJsonAsync<StockView>();

        var read = await http.GetFromJsonAsync<StockView>($"/inventory/{sku}");
        var expected = new StockView(sku, 12, 0, 12, 1999, "EUR", 1);
        Assert.True(written == expected && read == expected, $"SKU {sku}: PUT answered {written}, GET {read}");
    }

    [Fact]
    public async Task Get_of_a_never_stocked_sku_is_a_404_problem()
    {
        await ProblemAssert.IsProblemAsync(await http.GetAsync($"/inventory/{NewSku()}"), HttpStatusCode.NotFound, "GET never-stocked SKU");
    }

    [Fact]
    public async Task Get_shows_what_live_reservations_hold()
    {
        var sku = NewSku();
        await http.PutAsync($"/inventory/{sku}", Json("""{"onHand":5,"unitPrice":100,"currency":"USD"}"""));
        await Grains().GetGrain<IInventoryGrain>(sku).ReserveAsync(NewOrderId(), 2, DateTimeOffset.UtcNow.AddMinutes(10));

        var read = await http.GetFromJsonAsync<StockView>($"/inventory/{sku}");
        Assert.True(read is { OnHand: 5, Reserved: 2, Available: 3 }, $"SKU {sku}: {read}");
    }

    [Fact]
    public async Task Put_below_what_live_reservations_hold_is_a_409_problem_and_changes_nothing()
    {
        var sku = NewSku();
        await http.PutAsync($"/inventory/{sku}", Json("""{"onHand":5,"unitPrice":100,"currency":"USD"}"""));
        await Grains().GetGrain<IInventoryGrain>(sku).ReserveAsync(NewOrderId(), 3, DateTimeOffset.UtcNow.AddMinutes(10));

        var put = await http.PutAsync($"/inventory/{sku}", Json("""{"onHand":2,"unitPrice":100,"currency":"USD"}"""));
        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.Conflict, $"SKU {sku}: PUT below reserved");
        var read = await http.GetFromJsonAsync<StockView>($"/inventory/{sku}");
        Assert.True(read is { OnHand: 5, Reserved: 3 }, $"SKU {sku}: {read}");
    }

    [Theory]
    [InlineData("""{"onHand":-1,"unitPrice":100,"currency":"EUR"}""", "onHand")]
    [InlineData("""{"onHand":1000001,"unitPrice":100,"currency":"EUR"}""", "onHand")]
    [InlineData("""{"onHand":1.5,"unitPrice":100,"currency":"EUR"}""", "onHand")]
    [InlineData("""{"onHand":"5","unitPrice":100,"currency":"EUR"}""", "onHand")]
    [InlineData("""{"unitPrice":100,"currency":"EUR"}""", "onHand")]
    [InlineData("""{"onHand":5,"unitPrice":-1,"currency":"EUR"}""", "unitPrice")]
    [InlineData("""{"onHand":5,"unitPrice":19.99,"currency":"EUR"}""", "unitPrice")]
    [InlineData("""{"onHand":5,"currency":"EUR"}""", "unitPrice")]
    [InlineData("""{"onHand":5,"unitPrice":100,"currency":"eur"}""", "currency")]
    [InlineData("""{"onHand":5,"unitPrice":100,"currency":"EURO"}""", "currency")]
    [InlineData("""{"onHand":5,"unitPrice":100,"currency":"E1R"}""", "currency")]
    [InlineData("""{"onHand":5,"unitPrice":100}""", "currency")]
    [InlineData("""{"onHand":5,"unitPrice":100,"currency":"EUR","reserved":0}""", "reserved")]
    public async Task Bad_stock_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var sku = NewSku();
        var put = await http.PutAsync($"/inventory/{sku}", Json(body));
        await ProblemAssert.NamesFieldAsync(put, field, $"SKU {sku}: PUT {body}");
        await ProblemAssert.IsProblemAsync(await http.GetAsync($"/inventory/{sku}"), HttpStatusCode.NotFound, $"SKU {sku}: stocked by a refused PUT");
    }

    [Fact]
    public async Task A_bad_sku_in_the_path_is_a_400_naming_it()
    {
        await ProblemAssert.NamesFieldAsync(await http.GetAsync("/inventory/bad%20sku"), "sku", "GET bad SKU");
        await ProblemAssert.NamesFieldAsync(
            await http.PutAsync($"/inventory/{new string('s', 65)}", Json("""{"onHand":1,"unitPrice":1,"currency":"EUR"}""")), "sku", "PUT long SKU");
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        var put = await http.PutAsync($"/inventory/{NewSku()}", new StringContent("onHand=1"));
        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.UnsupportedMediaType, "PUT text/plain");
    }

    private IClusterClient Grains() => api.Factory.Services.GetRequiredService<IClusterClient>();
}
