namespace OrleansSessions.Inventory;

/// <summary>
/// What a caller sees of one SKU's stock. <see cref="Reserved"/> counts live leases only, so
/// <see cref="Available"/> = <see cref="OnHand"/> − <see cref="Reserved"/> ≥ 0 always.
/// </summary>
/// <param name="UnitPrice">Integer minor units of <see cref="Currency"/> (cents for USD).</param>
/// <param name="Currency">ISO 4217 code, three upper-case letters.</param>
/// <param name="Version">Grows with every stored change.</param>
[GenerateSerializer]
[Immutable]
[Alias("inventory.StockView")]
public sealed record StockView(
    [property: Id(0)] string Sku,
    [property: Id(1)] int OnHand,
    [property: Id(2)] int Reserved,
    [property: Id(3)] int Available,
    [property: Id(4)] long UnitPrice,
    [property: Id(5)] string Currency,
    [property: Id(6)] long Version);
