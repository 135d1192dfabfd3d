using Orleans.Concurrency;

namespace OrleansSessions.Carts;

/// <summary>
/// One shopping cart, keyed by cart id. Carts context: session consistency — one activation serializes every change,
/// so a client always reads its own writes. Each change is persisted before it is acknowledged.
/// </summary>
[Alias("carts.ICartGrain")]
public interface ICartGrain : IGrainWithStringKey
{
    [ReadOnly]
    [Alias("get")]
    Task<CartView> GetAsync();

    /// <summary>Adds <paramref name="quantity"/> units of <paramref name="sku"/>; the line total must stay within 1..999.</summary>
    [Alias("add-item")]
    Task<CartView> AddItemAsync(string sku, int quantity);

    /// <summary>Sets the quantity of a line, creating it when absent.</summary>
    [Alias("set-quantity")]
    Task<CartView> SetQuantityAsync(string sku, int quantity);

    /// <summary>Removes a line; removing a line that is not there changes nothing (idempotent).</summary>
    [Alias("remove-item")]
    Task<CartView> RemoveItemAsync(string sku);
}
