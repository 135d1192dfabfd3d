using System.Collections.Immutable;
using Orleans.Concurrency;
using OrleansSessions.Common;

namespace OrleansSessions.Carts;

/// <summary>
/// One shopping cart: a user's (<see cref="CartKeys.User"/>) or an anonymous session's (<see cref="CartKeys.Session"/>).
/// Carts context: session consistency — one activation serializes every change, so a client always reads its own
/// writes. Each change is persisted before it is acknowledged. The calls other contexts' events lead to (merge, clear,
/// remove what was ordered) are idempotent by the event's id.
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

    /// <summary>
    /// The same, at most once per <paramref name="idempotencyKey"/>: a retry with the key of an add already applied
    /// changes nothing and answers the cart; the key with another SKU or quantity is refused
    /// (<see cref="IdempotencyKeyReusedException"/>).
    /// </summary>
    [Alias("add-item-once")]
    Task<CartView> AddItemOnceAsync(string sku, int quantity, string idempotencyKey);

    /// <summary>Sets the quantity of a line, creating it when absent.</summary>
    [Alias("set-quantity")]
    Task<CartView> SetQuantityAsync(string sku, int quantity);

    /// <summary>Removes a line; removing a line that is not there changes nothing (idempotent).</summary>
    [Alias("remove-item")]
    Task<CartView> RemoveItemAsync(string sku);

    /// <summary>
    /// Moves the lines of cart <paramref name="sourceCartId"/> into this one (quantities add up; what does not fit the
    /// line and quantity limits stays reported in <see cref="CartView.NotMerged"/>) and empties the source.
    /// Idempotent by <paramref name="eventId"/>, also when a first attempt stopped half-way.
    /// </summary>
    [Alias("merge-from")]
    Task<CartView> MergeFromAsync(string sourceCartId, Guid eventId);

    /// <summary>Empties the cart (its lines moved elsewhere, its session lives on). Idempotent by <paramref name="eventId"/>.</summary>
    [Alias("clear")]
    Task<CartView> ClearAsync(Guid eventId);

    /// <summary>
    /// Ends an anonymous session's cart: its session ended, or moved to a new id that holds the lines now. The stored
    /// cart is deleted and its activation goes; the cart then reads empty, as one never written to. Idempotent.
    /// </summary>
    [Alias("end")]
    Task EndAsync();

    /// <summary>Takes the ordered quantities off the cart (what was added since stays). Idempotent by <paramref name="eventId"/>.</summary>
    [Alias("remove-ordered")]
    Task<CartView> RemoveOrderedAsync(ImmutableArray<CartLine> ordered, Guid eventId);
}

/// <summary>Cart keys: carts of other contexts are only ever named by these ids.</summary>
public static class CartKeys
{
    public static string User(string userId) => $"user:{userId}";

    public static string Session(string sessionIdHash) => $"session:{sessionIdHash}";
}
