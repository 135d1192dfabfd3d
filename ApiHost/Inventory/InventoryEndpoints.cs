using System.ComponentModel.DataAnnotations;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Common;
using OrleansSessions.Inventory;

namespace OrleansSessions.ApiHost.Inventory;

/// <summary>Operator request to set a SKU's stock and the price new reservations take.</summary>
public sealed record SetStockRequest(
    [property: Required, Range(0, InventoryRules.MaxOnHand)] int? OnHand,
    [property: Required, Range(0d, InventoryRules.MaxUnitPrice)] long? UnitPrice,
    [property: Required, RegularExpression(InventoryRules.CurrencySchemaPattern)] string? Currency);

internal static class InventoryEndpoints
{
    public static RouteGroupBuilder MapInventory(this RouteGroupBuilder routes)
    {
        // Stock and prices belong to nobody: any end user and services with inventory:read read them; setting them is
        // for services with inventory:admin.
        var inventory = routes.MapGroup("/inventory/{sku}").WithTags("Inventory").RequireAccess(Owner.AnyEndUser, Scopes.InventoryRead);
        var stocking = routes.MapGroup("/inventory/{sku}").WithTags("Inventory").RequireAccess(Owner.None, Scopes.InventoryAdmin);

        inventory.MapGet("", async (string sku, IGrainFactory grains)
                => await Stock(grains, sku).GetAsync() ?? throw new SkuNotStockedException())
            .WithSummary("Reads a SKU's stock: on hand, reserved by live leases, available, unit price and currency; 404 when never stocked.")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        stocking.MapPut("", async (string sku, HttpRequest request, IGrainFactory grains) =>
        {
            var stock = Stock(grains, sku);
            var body = await JsonBody.ReadAsync<SetStockRequest>(request);
            var onHand = JsonBody.Required(body.OnHand, "onHand");
            InventoryRules.ValidateOnHand(onHand);
            var unitPrice = JsonBody.Required(body.UnitPrice, "unitPrice");
            InventoryRules.ValidateUnitPrice(unitPrice);
            InventoryRules.ValidateCurrency(body.Currency);
            return await stock.SetStockAsync(onHand, unitPrice, body.Currency!);
        })
            .WithSummary("Operator: sets units on hand (0..1000000), the unit price in integer minor units and its ISO 4217 currency; 409 below what live reservations hold.")
            .AcceptsJson<SetStockRequest>()
            .ProducesProblems(
                StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        return routes;
    }

    private static IInventoryGrain Stock(IGrainFactory grains, string sku)
    {
        Identifiers.Validate(sku, "sku");
        return StringKeyedGrains.Get<IInventoryGrain>(grains, sku);
    }
}
