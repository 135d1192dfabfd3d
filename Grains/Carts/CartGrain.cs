using System.Collections.Immutable;
using OrleansSessions.Common;

namespace OrleansSessions.Carts;

public sealed class CartGrain(
    [PersistentState(stateName: "carts.cart", storageName: StorageNames.State)] IPersistentState<CartState> cart)
    : ReleasedWhenEmptyGrain(cart), ICartGrain
{
    public Task<CartView> GetAsync() => Task.FromResult(View(cart.State));

    public Task<CartView> AddItemAsync(string sku, int quantity)
    {
        var next = WithAdded(cart.State, sku, quantity);
        return CommitAsync(next);
    }

    public Task<CartView> AddItemOnceAsync(string sku, int quantity, string idempotencyKey)
    {
        if (string.IsNullOrEmpty(idempotencyKey) || idempotencyKey.Length > 255)
        {
            throw new DomainValidationException("Idempotency-Key", "'Idempotency-Key' must be 1..255 characters.");
        }

        if (cart.State.Adds.FirstOrDefault(a => a.Key == idempotencyKey) is { } earlier)
        {
            return earlier.Sku == sku && earlier.Quantity == quantity
                ? Task.FromResult(View(cart.State))
                : throw new IdempotencyKeyReusedException();
        }

        var next = WithAdded(cart.State, sku, quantity);
        return CommitAsync(next with { Adds = CartState.Recent(next.Adds.Add(new IdempotentAdd(idempotencyKey, sku, quantity))) });
    }

    public Task<CartView> SetQuantityAsync(string sku, int quantity)
    {
        Identifiers.Validate(sku, "sku");
        CartRules.ValidateQuantity(quantity);
        return CommitAsync(WithLine(cart.State, sku, quantity));
    }

    public Task<CartView> RemoveItemAsync(string sku)
    {
        Identifiers.Validate(sku, "sku");
        return Find(cart.State, sku) is { } line
            ? CommitAsync(cart.State with { Lines = cart.State.Lines.Remove(line), Version = cart.State.Version + 1 })
            : Task.FromResult(View(cart.State));
    }

    public async Task<CartView> MergeFromAsync(string sourceCartId, Guid eventId)
    {
        var source = GrainFactory.GetGrain<ICartGrain>(sourceCartId);

        // Nothing to move stores nothing: most sessions that rotate or log in never had a cart.
        ImmutableArray<CartLine> lines = cart.State.HasApplied(eventId) ? [] : (await source.GetAsync()).Lines;
        if (!lines.IsEmpty)
        {
            var next = cart.State;
            var leftOver = ImmutableArray.CreateBuilder<CartLine>();
            foreach (var line in lines)
            {
                var current = Find(next, line.Sku)?.Quantity ?? 0;
                var fits = Math.Min(line.Quantity, CartRules.MaxQuantity - current);
                if (fits > 0 && (current > 0 || next.Lines.Length < CartRules.MaxLines))
                {
                    next = WithLine(next, line.Sku, current + fits);
                }
                else
                {
                    fits = 0;
                }

                if (fits < line.Quantity)
                {
                    leftOver.Add(line with { Quantity = line.Quantity - fits });
                }
            }

            await CommitAsync(next.Applied(eventId) with { NotMerged = leftOver.ToImmutable(), Version = cart.State.Version + 1 });
        }

        // Emptied only once the merge is stored: a retry after a failure here merges nothing twice and empties it then.
        await source.ClearAsync(eventId);
        return View(cart.State);
    }

    public Task<CartView> ClearAsync(Guid eventId)
        => cart.State.HasApplied(eventId) || (cart.State.Lines.IsEmpty && cart.State.NotMerged.IsEmpty)
            ? Task.FromResult(View(cart.State))
            : CommitAsync(cart.State.Applied(eventId) with { Lines = [], NotMerged = [], Version = cart.State.Version + 1 });

    // Deleted, not emptied: an ended session's cart can never be used again, so nothing of it needs to stay (the
    // activation then goes too: it holds nothing).
    public Task EndAsync() => this.ClearAsync(cart);

    public Task<CartView> RemoveOrderedAsync(ImmutableArray<CartLine> ordered, Guid eventId)
    {
        if (cart.State.HasApplied(eventId))
        {
            return Task.FromResult(View(cart.State));
        }

        var next = cart.State;
        foreach (var line in ordered)
        {
            if (Find(next, line.Sku) is { } current)
            {
                next = current.Quantity > line.Quantity
                    ? WithLine(next, line.Sku, current.Quantity - line.Quantity)
                    : next with { Lines = next.Lines.Remove(current) };
            }
        }

        return CommitAsync(next.Applied(eventId) with { Version = cart.State.Version + 1 });
    }

    private static CartState WithAdded(CartState state, string sku, int quantity)
    {
        Identifiers.Validate(sku, "sku");
        CartRules.ValidateQuantity(quantity);
        var current = Find(state, sku)?.Quantity ?? 0;
        if (current + quantity > CartRules.MaxQuantity)
        {
            throw new DomainValidationException(
                "quantity", $"'quantity' would bring line '{sku}' to {current + quantity}; a line holds at most {CartRules.MaxQuantity}.");
        }

        return WithLine(state, sku, current + quantity);
    }

    /// <summary>The state with the line at this quantity (added at the end when new) and the next version.</summary>
    private static CartState WithLine(CartState state, string sku, int quantity)
    {
        var existing = Find(state, sku);
        if (existing is null && state.Lines.Length >= CartRules.MaxLines)
        {
            throw new DomainValidationException("sku", $"A cart holds at most {CartRules.MaxLines} lines.");
        }

        var line = new CartLine(sku, quantity);
        return state with
        {
            Lines = existing is null ? state.Lines.Add(line) : state.Lines.Replace(existing, line),
            Version = state.Version + 1,
        };
    }

    private static CartLine? Find(CartState state, string sku) => state.Lines.FirstOrDefault(l => l.Sku == sku);

    private async Task<CartView> CommitAsync(CartState next)
    {
        await this.CommitAsync(cart, next);
        return View(next);
    }

    private CartView View(CartState state) => new(this.GetPrimaryKeyString(), state.Lines, state.Version, state.NotMerged);
}
