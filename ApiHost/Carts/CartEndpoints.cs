using OrleansSessions.Carts;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Carts;

/// <summary>Request to add units of a SKU to a cart.</summary>
public sealed record AddCartItemRequest(string? Sku, int? Quantity);

/// <summary>Request to set the quantity of a cart line.</summary>
public sealed record SetCartItemQuantityRequest(int? Quantity);

internal static class CartEndpoints
{
    public static RouteGroupBuilder MapCarts(this RouteGroupBuilder routes)
    {
        var carts = routes.MapGroup("/carts/{cartId}").WithTags("Carts");

        carts.MapGet("", (string cartId, IGrainFactory grains) => Cart(grains, cartId).GetAsync())
            .WithSummary("Reads a cart; a cart never written to is empty.");

        carts.MapPost("/items", (string cartId, AddCartItemRequest body, IGrainFactory grains) =>
        {
            var sku = Required(body.Sku, "sku");
            Identifiers.Validate(sku, "sku");
            var quantity = Required(body.Quantity, "quantity");
            CartRules.ValidateQuantity(quantity);
            return Cart(grains, cartId).AddItemAsync(sku, quantity);
        }).WithSummary("Adds units of a SKU (1..999 per line).");

        carts.MapPut("/items/{sku}", (string cartId, string sku, SetCartItemQuantityRequest body, IGrainFactory grains) =>
        {
            Identifiers.Validate(sku, "sku");
            var quantity = Required(body.Quantity, "quantity");
            CartRules.ValidateQuantity(quantity);
            return Cart(grains, cartId).SetQuantityAsync(sku, quantity);
        }).WithSummary("Sets the quantity of a line (1..999), creating it when absent.");

        carts.MapDelete("/items/{sku}", (string cartId, string sku, IGrainFactory grains) =>
        {
            Identifiers.Validate(sku, "sku");
            return Cart(grains, cartId).RemoveItemAsync(sku);
        }).WithSummary("Removes a line; removing an absent line changes nothing.");

        return routes;
    }

    private static ICartGrain Cart(IGrainFactory grains, string cartId)
    {
        Identifiers.Validate(cartId, "cartId");
        return grains.GetGrain<ICartGrain>(cartId);
    }

    private static T Required<T>(T? value, string field)
        where T : struct
        => value ?? throw new DomainValidationException(field, $"'{field}' is required.");

    private static string Required(string? value, string field)
        => value ?? throw new DomainValidationException(field, $"'{field}' is required.");
}
