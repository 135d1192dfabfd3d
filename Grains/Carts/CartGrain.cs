using OrleansSessions.Common;

namespace OrleansSessions.Carts;

public sealed class CartGrain(
    [PersistentState(stateName: "carts.cart", storageName: StorageNames.State)] IPersistentState<CartState> cart)
    : Grain, ICartGrain
{
    public Task<CartView> GetAsync() => Task.FromResult(View(cart.State));

    public Task<CartView> AddItemAsync(string sku, int quantity)
    {
        Identifiers.Validate(sku, "sku");
        CartRules.ValidateQuantity(quantity);
        var current = Find(sku)?.Quantity ?? 0;
        if (current + quantity > CartRules.MaxQuantity)
        {
            throw new DomainValidationException(
                "quantity", $"'quantity' would bring line '{sku}' to {current + quantity}; a line holds at most {CartRules.MaxQuantity}.");
        }

        return SetLineAsync(sku, current + quantity);
    }

    public Task<CartView> SetQuantityAsync(string sku, int quantity)
    {
        Identifiers.Validate(sku, "sku");
        CartRules.ValidateQuantity(quantity);
        return SetLineAsync(sku, quantity);
    }

    public async Task<CartView> RemoveItemAsync(string sku)
    {
        Identifiers.Validate(sku, "sku");
        var line = Find(sku);
        if (line is null)
        {
            return View(cart.State);
        }

        var next = cart.State with { Lines = cart.State.Lines.Remove(line), Version = cart.State.Version + 1 };
        await this.CommitAsync(cart, next);
        return View(next);
    }

    private async Task<CartView> SetLineAsync(string sku, int quantity)
    {
        var lines = cart.State.Lines;
        var existing = Find(sku);
        if (existing is null && lines.Length >= CartRules.MaxLines)
        {
            throw new DomainValidationException("sku", $"A cart holds at most {CartRules.MaxLines} lines.");
        }

        var line = new CartLine(sku, quantity);
        var next = cart.State with
        {
            Lines = existing is null ? lines.Add(line) : lines.Replace(existing, line),
            Version = cart.State.Version + 1,
        };
        await this.CommitAsync(cart, next);
        return View(next);
    }

    private CartLine? Find(string sku) => cart.State.Lines.FirstOrDefault(l => l.Sku == sku);

    private CartView View(CartState state) => new(this.GetPrimaryKeyString(), state.Lines, state.Version);
}
