using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansSessions.Common;
using OrleansSessions.Inventory;

namespace OrleansSessions.Tests.Inventory;

internal static class InventoryTestKit
{
    public static string NewSku() => $"sku-{Guid.NewGuid():N}";

    public static string NewOrderId() => $"order-{Guid.NewGuid():N}";

    /// <summary>What the silo's grain storage holds for the SKU, read past the activation (null when nothing is stored).</summary>
    public static async Task<StockState?> StoredAsync(IServiceProvider siloServices, IGrainFactory grains, string sku)
    {
        var storage = siloServices.GetRequiredKeyedService<IGrainStorage>(StorageNames.State);
        var stored = new GrainState<StockState>();
        await storage.ReadStateAsync(InventoryGrain.StateName, grains.GetGrain<IInventoryGrain>(sku).GetGrainId(), stored);
        return stored.RecordExists ? stored.State : null;
    }

    /// <summary>
    /// Fires <paramref name="orders"/> one-unit reservations at once while reading the stock as they land; returns
    /// the answers and every view read meanwhile.
    /// </summary>
    public static async Task<(ReserveResult[] Answers, List<StockView> Seen)> ReserveConcurrentlyAsync(
        IInventoryGrain grain, int orders, DateTimeOffset leaseUntil)
    {
        var seen = new List<StockView>();
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                seen.Add((await grain.GetAsync())!);
            }
        });
        var answers = await Task.WhenAll(Enumerable.Range(0, orders).Select(i => Task.Run(() => grain.ReserveAsync($"order-{i}", 1, leaseUntil))));
        await done.CancelAsync();
        await reader;
        seen.Add((await grain.GetAsync())!);
        return (answers, seen);
    }
}
