using System.ComponentModel.DataAnnotations;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.Carts;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Carts;

/// <summary>Request to add units of a SKU to a cart.</summary>
public sealed record AddCartItemRequest(
    [property: Required, MaxLength(Identifiers.MaxLength), RegularExpression(Identifiers.SchemaPattern)] string? Sku,
    [property: Required, Range(CartRules.MinQuantity, CartRules.MaxQuantity)] int? Quantity);

/// <summary>Request to set the quantity of a cart line.</summary>
public sealed record SetCartItemQuantityRequest(
    [property: Required, Range(CartRules.MinQuantity, CartRules.MaxQuantity)] int? Quantity);

internal static class CartEndpoints
{
    public static RouteGroupBuilder MapCarts(this RouteGroupBuilder routes)
    {
        var carts = routes.MapGroup("/carts/{cartId}").WithTags("Carts");

        carts.MapGet("", (string cartId, IGrainFactory grains) => Cart(grains, cartId).GetAsync())
            .WithSummary("Reads a cart; a cart never written to is empty.")
            .ProducesProblems(StatusCodes.Status400BadRequest);

        carts.MapPost("/items", async (string cartId, HttpRequest request, IGrainFactory grains) =>
        {
            var cart = Cart(grains, cartId);
            var body = await JsonBody.ReadAsync<AddCartItemRequest>(request);
            var sku = Required(body.Sku, "sku");
            Identifiers.Validate(sku, "sku");
            var quantity = Required(body.Quantity, "quantity");
            CartRules.ValidateQuantity(quantity);
            return await cart.AddItemAsync(sku, quantity);
        })
            .WithSummary("Adds units of a SKU (1..999 per line, at most 100 lines).")
            .AcceptsJson<AddCartItemRequest>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        carts.MapPut("/items/{sku}", async (string cartId, string sku, HttpRequest request, IGrainFactory grains) =>
        {
            var cart = Cart(grains, cartId);
            Identifiers.Validate(sku, "sku");
            var body = await JsonBody.ReadAsync<SetCartItemQuantityRequest>(request);
            var quantity = Required(body.Quantity, "quantity");
            CartRules.ValidateQuantity(quantity);
            return await cart.SetQuantityAsync(sku, quantity);
        })
            .WithSummary("Sets the quantity of a line (1..999), creating it when absent.")
            .AcceptsJson<SetCartItemQuantityRequest>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        carts.MapDelete("/items/{sku}", (string cartId, string sku, IGrainFactory grains) =>
        {
            var cart = Cart(grains, cartId);
            Identifiers.Validate(sku, "sku");
            return cart.RemoveItemAsync(sku);
        })
            .WithSummary("Removes a line; removing an absent line changes nothing.")
            .ProducesProblems(StatusCodes.Status400BadRequest);

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
