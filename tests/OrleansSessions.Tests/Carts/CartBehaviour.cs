using OrleansSessions.Carts;
using OrleansSessions.Common;

namespace OrleansSessions.Tests.Carts;

/// <summary>What a cart does, whatever stores it; run once per storage by the derived classes.</summary>
public abstract class CartBehaviour(IClusterClient client)
{
    private static string NewCartId() => $"cart-{Guid.NewGuid():N}";

    private ICartGrain Cart(string id) => client.GetGrain<ICartGrain>(id);

    [Fact]
    public async Task A_cart_never_written_is_empty()
    {
        var id = NewCartId();
        var view = await Cart(id).GetAsync();
        Assert.True(view.Lines.IsEmpty, $"cart {id} should start empty");
        Assert.Equal(0, view.Version);
        Assert.Equal(id, view.CartId);
    }

    [Fact]
    public async Task Adding_the_same_sku_twice_sums_the_quantities_and_reads_back()
    {
        var id = NewCartId();
        await Cart(id).AddItemAsync("SKU-1", 2);
        await Cart(id).AddItemAsync("SKU-2", 1);
        await Cart(id).AddItemAsync("SKU-1", 3);

        var view = await Cart(id).GetAsync();
        Assert.Equal([new CartLine("SKU-1", 5), new CartLine("SKU-2", 1)], view.Lines.ToArray());
        Assert.Equal(3, view.Version);
    }

    [Fact]
    public async Task Setting_a_quantity_replaces_it_and_removing_a_line_drops_it()
    {
        var id = NewCartId();
        await Cart(id).AddItemAsync("A", 1);
        await Cart(id).AddItemAsync("B", 1);
        await Cart(id).SetQuantityAsync("A", 7);
        await Cart(id).RemoveItemAsync("B");

        var view = await Cart(id).GetAsync();
        Assert.Equal([new CartLine("A", 7)], view.Lines.ToArray());
    }

    [Fact]
    public async Task Removing_an_absent_line_changes_nothing()
    {
        var id = NewCartId();
        await Cart(id).AddItemAsync("A", 1);
        var view = await Cart(id).RemoveItemAsync("missing");
        Assert.Equal(1, view.Version);
        Assert.Single(view.Lines);
    }

    [Theory]
    [InlineData("A", 0, "quantity")]
    [InlineData("A", 1000, "quantity")]
    [InlineData("A", -1, "quantity")]
    [InlineData("", 1, "sku")]
    [InlineData("has space", 1, "sku")]
    [InlineData("x12345678901234567890123456789012345678901234567890123456789012345", 1, "sku")]
    public async Task Out_of_range_input_is_rejected_naming_the_field_and_changes_nothing(string sku, int quantity, string field)
    {
        var id = NewCartId();
        await Cart(id).AddItemAsync("KEEP", 1);

        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Cart(id).AddItemAsync(sku, quantity));
        Assert.Equal(field, error.Field);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);

        var view = await Cart(id).GetAsync();
        Assert.Equal([new CartLine("KEEP", 1)], view.Lines.ToArray());
        Assert.Equal(1, view.Version);
    }

    [Fact]
    public async Task A_line_cannot_grow_past_999_and_the_failed_add_changes_nothing()
    {
        var id = NewCartId();
        await Cart(id).AddItemAsync("A", 998);
        await Assert.ThrowsAsync<DomainValidationException>(() => Cart(id).AddItemAsync("A", 2));
        var view = await Cart(id).GetAsync();
        Assert.Equal(998, view.Lines.Single().Quantity);
    }

    [Fact]
    public async Task Concurrent_adds_to_one_cart_are_all_applied()
    {
        var id = NewCartId();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Cart(id).AddItemAsync("A", 1)));
        var view = await Cart(id).GetAsync();
        Assert.Equal(20, view.Lines.Single().Quantity);
        Assert.Equal(20, view.Version);
    }
}

[Collection(Infrastructure.MemoryClusterCollection.Name)]
public sealed class CartOnMemoryStorageTests(Infrastructure.MemoryClusterFixture fixture) : CartBehaviour(fixture.Client);

[Collection(Infrastructure.PostgresClusterCollection.Name)]
public sealed class CartOnPostgresTests(Infrastructure.PostgresClusterFixture fixture) : CartBehaviour(fixture.Client);
