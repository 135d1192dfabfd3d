using System.ComponentModel.DataAnnotations;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Sessions;

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
    /// <summary>The user's cart: <c>/users/{userId}/cart</c>.</summary>
    public static RouteGroupBuilder MapUserCarts(this RouteGroupBuilder routes)
    {
        // Services with carts; end users: their own user's cart.
        var carts = routes.MapGroup("/users/{userId}/cart").WithTags("Carts").RequireAccess(Owner.User, Scopes.Carts);
        MapCart(carts, StatusCodes.Status400BadRequest, (http, grains) =>
        {
            var userId = (string)http.GetRouteValue("userId")!;
            Identifiers.Validate(userId, "userId");
            return Task.FromResult(StringKeyedGrains.Get<ICartGrain>(grains, CartKeys.User(userId)));
        });
        return routes;
    }

    /// <summary>An anonymous session's cart: <c>/sessions/{sessionId}/cart</c>; 404 like the session when it is unknown or ended.</summary>
    public static RouteGroupBuilder MapSessionCarts(this RouteGroupBuilder routes)
    {
        // Services with carts; end users: their own session's cart.
        var carts = routes.MapGroup("/sessions/{sessionId}/cart").WithTags("Carts").RequireAccess(Owner.Session, Scopes.Carts);
        MapCart(carts, StatusCodes.Status404NotFound, async (http, grains) =>
        {
            var sessionId = (string)http.GetRouteValue("sessionId")!;
            if (!SessionIds.IsWellFormed(sessionId) || await grains.GetSessionGrain(sessionId).PeekAsync() is null)
            {
                throw new SessionNotFoundException();
            }

            return StringKeyedGrains.Get<ICartGrain>(grains, CartKeys.Session(SessionIds.Hash(sessionId)));
        });
        return routes;
    }

    /// <param name="unknownCart">How the route answers a cart it cannot address: 400 (bad user id) or 404 (no such session).</param>
    private static void MapCart(RouteGroupBuilder carts, int unknownCart, Func<HttpContext, IGrainFactory, Task<ICartGrain>> cartOf)
    {
        carts.MapGet("", async (HttpContext http, IGrainFactory grains) => await (await cartOf(http, grains)).GetAsync())
            .WithSummary("Reads the cart; a cart never written to is empty. notMerged lists what did not fit the last merge.")
            .Produces<CartView>()
            .ProducesProblems(unknownCart);

        carts.MapPost("/items", async (HttpContext http, IGrainFactory grains) =>
        {
            var cart = await cartOf(http, grains);
            var body = await JsonBody.ReadAsync<AddCartItemRequest>(http.Request);
            var sku = JsonBody.Required(body.Sku, "sku");
            Identifiers.Validate(sku, "sku");
            var quantity = JsonBody.Required(body.Quantity, "quantity");
            CartRules.ValidateQuantity(quantity);
            return http.Request.Headers[IdempotencyKeys.Header] is [{ } key]
                ? await cart.AddItemOnceAsync(sku, quantity, IdempotencyKeys.Validate(key))
                : await cart.AddItemAsync(sku, quantity);
        })
            .WithSummary("Adds units of a SKU (1..999 per line, at most 100 lines). With Idempotency-Key, a retry adds nothing twice.")
            .AcceptsJson<AddCartItemRequest>()
            .WithIdempotencyKey(required: false)
            .Produces<CartView>()
            .ProducesProblems([.. Problems(unknownCart, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity)]);

        carts.MapPut("/items/{sku}", async (string sku, HttpContext http, IGrainFactory grains) =>
        {
            var cart = await cartOf(http, grains);
            Identifiers.Validate(sku, "sku");
            var body = await JsonBody.ReadAsync<SetCartItemQuantityRequest>(http.Request);
            var quantity = JsonBody.Required(body.Quantity, "quantity");
            CartRules.ValidateQuantity(quantity);
            return await cart.SetQuantityAsync(sku, quantity);
        })
            .WithSummary("Sets the quantity of a line (1..999), creating it when absent.")
            .AcceptsJson<SetCartItemQuantityRequest>()
            .Produces<CartView>()
            .ProducesProblems([.. Problems(unknownCart, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType)]);

        carts.MapDelete("/items/{sku}", async (string sku, HttpContext http, IGrainFactory grains) =>
        {
            var cart = await cartOf(http, grains);
            Identifiers.Validate(sku, "sku");
            return await cart.RemoveItemAsync(sku);
        })
            .WithSummary("Removes a line; removing an absent line changes nothing.")
            .Produces<CartView>()
            .ProducesProblems([.. Problems(unknownCart)]);
    }

    /// <summary>400 (a bad SKU or body) and the route's own way of refusing the cart, plus <paramref name="more"/>.</summary>
    private static IEnumerable<int> Problems(int unknownCart, params int[] more)
        => new[] { StatusCodes.Status400BadRequest, unknownCart }.Concat(more).Distinct();
}
