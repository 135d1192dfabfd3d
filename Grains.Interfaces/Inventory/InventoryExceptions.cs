namespace OrleansSessions.Inventory;

/// <summary>The SKU was never stocked (no <see cref="IInventoryGrain.SetStockAsync"/> yet). Hosts answer 404.</summary>
[GenerateSerializer]
[Alias("inventory.SkuNotStockedException")]
public sealed class SkuNotStockedException : Exception
{
    public SkuNotStockedException()
        : base("This SKU has never been stocked.")
    {
    }

    public SkuNotStockedException(string message)
        : base(message)
    {
    }

    public SkuNotStockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// On-hand stock may not be set below the units live reservations hold: those are promised to orders. Nothing was
/// changed. Hosts answer 409; release or let the reservations run out first.
/// </summary>
[GenerateSerializer]
[Alias("inventory.StockBelowReservedException")]
public sealed class StockBelowReservedException : Exception
{
    public StockBelowReservedException(int requested, int reserved)
        : base($"On hand cannot be set to {requested}: {reserved} unit(s) are reserved by live orders.")
    {
        Requested = requested;
        Reserved = reserved;
    }

    public StockBelowReservedException()
    {
    }

    public StockBelowReservedException(string message)
        : base(message)
    {
    }

    public StockBelowReservedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public int Requested { get; init; }

    [Id(1)]
    public int Reserved { get; init; }
}
