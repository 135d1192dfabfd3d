using System.Collections.Immutable;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Inventory;
using OrleansSessions.Orders;
using OrleansSessions.Payments;
using OrleansSessions.PaymentGateway;
using OrleansSessions.Tests.Infrastructure;
using OrleansSessions.Tests.Infrastructure.Faults;

namespace OrleansSessions.Tests.Orders;

/// <summary>The order saga against real inventory and payment grains and the fake gateway.</summary>
[Collection(OrderClusterCollection.Name)]
public sealed class OrderSagaTests(OrderClusterFixture fixture)
{
    [Fact]
    public async Task An_order_reserves_authorizes_captures_and_confirms_and_the_stock_is_sold()
    {
        var sku = await fixture.StockAsync(10, unitPrice: 250);
        var other = await fixture.StockAsync(5, unitPrice: 1000);

        var order = await fixture.OrderAsync(TestCards.Visa, (sku, 2), (other, 1));

        Assert.True(order.Status == OrderStatus.Confirmed, $"order {order.OrderId}: {order.Status} ({order.Reason})");
        Assert.Equal(1500, order.Total);
        Assert.Equal(["place", "reserve", "authorize", "capture", "confirm"], order.History.Select(h => h.Step).ToArray());
        var stock = await fixture.StockOfAsync(sku);
        Assert.True(stock is { OnHand: 8, Reserved: 0 }, $"order {order.OrderId}: stock of {sku} {stock}");
        Assert.Equal(["authorize:authorized", "capture:captured"], await fixture.LedgerOfAsync(order.OrderId));
    }

    [Fact]
    public async Task An_order_for_more_than_is_in_stock_is_cancelled_and_nothing_is_charged()
    {
        var sku = await fixture.StockAsync(1);

        var order = await fixture.OrderAsync(TestCards.Visa, (sku, 2));

        Assert.True(order is { Status: OrderStatus.Cancelled, Reason: not null } && order.Reason.StartsWith("out of stock", StringComparison.Ordinal), $"order {order.OrderId}: {order.Status} ({order.Reason})");
        Assert.Empty(await fixture.LedgerOfAsync(order.OrderId));
        Assert.True(await fixture.StockOfAsync(sku) is { OnHand: 1, Reserved: 0 }, $"order {order.OrderId}: stock of {sku} changed");
    }

    [Theory]
    [InlineData(PaymentRules.MaxAmount, 1, 2, "above what one payment may hold")]
    [InlineData(InventoryRules.MaxUnitPrice, CartRules.MaxQuantity, CartRules.MaxLines, "the largest order the rules let through")]
    [InlineData(0, 1, 2, "free")]
    public async Task An_order_whose_total_no_payment_may_hold_is_cancelled_at_once_without_asking_the_gateway(long unitPrice, int quantity, int lines, string why)
    {
        var skus = await Task.WhenAll(Enumerable.Range(0, lines).Select(_ => fixture.StockAsync(quantity, unitPrice)));

        var order = await fixture.OrderAsync(TestCards.Visa, [.. skus.Select(sku => (sku, quantity))]);

        Assert.True(
            order is { Status: OrderStatus.Cancelled, Reason: not null } && order.Reason.StartsWith("the total is not an amount one payment may hold", StringComparison.Ordinal),
            $"order {order.OrderId} ({why}): {order.Status} ({order.Reason})");
        Assert.DoesNotContain(order.History, h => h.Step == "authorize");
        Assert.Empty(await fixture.LedgerOfAsync(order.OrderId));
        Assert.True(await fixture.StockOfAsync(skus[0]) is { Reserved: 0 } stock && stock.OnHand == quantity, $"order {order.OrderId} ({why}): stock of {skus[0]} not released");
    }

    [Theory]
    [InlineData("quantity 0", "quantity")]
    [InlineData("quantity 1000", "quantity")]
    [InlineData("a SKU twice", "lines")]
    [InlineData("a SKU with a slash", "sku")]
    [InlineData("101 lines", "lines")]
    public async Task Lines_an_in_process_caller_sends_get_the_carts_rules_and_a_refused_order_is_not_stored(string lines, string field)
    {
        var sku = await fixture.StockAsync(5);
        ImmutableArray<OrderLine> refused = lines switch
        {
            "quantity 0" => [new OrderLine(sku, 0, 0, null)],
            "quantity 1000" => [new OrderLine(sku, 1000, 0, null)],
            "a SKU twice" => [new OrderLine(sku, 1, 0, null), new OrderLine(sku, 2, 0, null)],
            "a SKU with a slash" => [new OrderLine("a/b", 1, 0, null)],
            _ => [.. Enumerable.Range(0, CartRules.MaxLines + 1).Select(i => new OrderLine($"{sku}-{i}", 1, 0, null))],
        };
        var user = $"buyer-{Guid.NewGuid():N}";
        var saga = fixture.Client.GetGrain<IOrderSagaGrain>(OrderIds.For(user, "k"));

        var error = await Assert.ThrowsAsync<DomainValidationException>(() => saga.PlaceAsync(new PlaceOrder(user, TestCards.Visa, refused, lines)));

        Assert.Equal(field, error.Field);
        Assert.True(await saga.GetAsync() is null, $"order {saga.GetPrimaryKeyString()} ({lines}) was stored although refused");
        Assert.True(await fixture.StockOfAsync(sku) is { OnHand: 5, Reserved: 0 }, $"order {saga.GetPrimaryKeyString()} ({lines}): stock of {sku} changed");
    }

    [Fact]
    public async Task A_declined_payment_cancels_the_order_and_releases_the_stock()
    {
        var sku = await fixture.StockAsync(3);

        var order = await fixture.OrderAsync(TestCards.ChargeDeclinedInsufficientFunds, (sku, 2));

        Assert.True(order.Status == OrderStatus.Cancelled && order.Reason!.Contains("declined", StringComparison.Ordinal), $"order {order.OrderId}: {order.Status} ({order.Reason})");
        Assert.True(await fixture.StockOfAsync(sku) is { OnHand: 3, Reserved: 0, Available: 3 }, $"order {order.OrderId}: stock of {sku} not released");
    }

    [Fact]
    public async Task A_failed_capture_voids_the_authorization_and_releases_the_stock()
    {
        var sku = await fixture.StockAsync(3);

        var order = await fixture.OrderAsync(TestCards.CaptureFails, (sku, 1));

        Assert.True(order.Status == OrderStatus.Cancelled && order.Reason!.StartsWith("capture failed", StringComparison.Ordinal), $"order {order.OrderId}: {order.Status} ({order.Reason})");
        Assert.Contains(await fixture.LedgerOfAsync(order.OrderId), e => e.StartsWith("void:", StringComparison.Ordinal));
        Assert.True(await fixture.StockOfAsync(sku) is { Reserved: 0, Available: 3 }, $"order {order.OrderId}: stock of {sku} not released");
    }

    [Fact]
    public async Task A_compensation_that_keeps_failing_ends_in_CompensationFailed_and_an_operator_retry_heals_it()
    {
        var sku = await fixture.StockAsync(3);

        // The void (the first compensation) cannot store its intent: every attempt fails.
        var voids = fixture.Faults.OnStorage(
            c => c.Operation == StorageOperation.Write && c.StateName == "payments.payment" && c.State is OrleansSessions.Payments.PaymentState { Status: PaymentStatus.Voiding },
            FaultMode.FailBefore,
            times: 3);
        var placed = await fixture.PlaceAsync(TestCards.CaptureFails, (sku, 1));
        var failed = await fixture.FinishedAsync(placed.OrderId, OrderStatus.CompensationFailed);
        Assert.Equal(3, voids.Hits);
        Assert.Contains(placed.OrderId, await fixture.Client.GetGrain<ISagaIndexGrain>(0).ListFailedAsync());
        Assert.True(await fixture.StockOfAsync(sku) is { Reserved: 1 }, $"order {failed.OrderId}: stock released before the payment was voided");

        await fixture.Client.GetGrain<IOrderSagaGrain>(placed.OrderId).RetryAsync();

        var healed = await fixture.FinishedAsync(placed.OrderId, OrderStatus.Cancelled);
        Assert.DoesNotContain(placed.OrderId, await fixture.Client.GetGrain<ISagaIndexGrain>(0).ListFailedAsync());
        Assert.True(await fixture.StockOfAsync(sku) is { Reserved: 0, Available: 3 }, $"order {healed.OrderId}: stock not released after the retry");
    }

    [Fact]
    public async Task Fifty_concurrent_orders_for_ten_units_confirm_exactly_ten_and_stock_never_goes_negative()
    {
        var sku = await fixture.StockAsync(10);

        var placed = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fixture.PlaceAsync(TestCards.Visa, (sku, 1))));
        var seen = new List<StockView>();
        var finished = await Poll.ForAsync(
            async () =>
            {
                seen.Add(await fixture.StockOfAsync(sku));
                var views = await Task.WhenAll(placed.Select(p => fixture.Client.GetGrain<IOrderSagaGrain>(p.OrderId).GetAsync()));
                return views.All(v => v!.Status is OrderStatus.Confirmed or OrderStatus.Cancelled) ? views : null;
            },
            TimeSpan.FromSeconds(60),
            $"50 orders of {sku} to finish");

        Assert.Equal(10, finished.Count(v => v!.Status == OrderStatus.Confirmed));
        Assert.All(seen, s => Assert.True(s.Available >= 0 && s.OnHand >= 0, $"{sku}: {s}"));
        Assert.True(await fixture.StockOfAsync(sku) is { OnHand: 0, Reserved: 0 }, $"{sku}: stock after all orders");
    }

    [Fact]
    public async Task The_same_order_placed_twenty_times_at_once_is_one_order_with_one_charge()
    {
        var sku = await fixture.StockAsync(5);
        var user = $"buyer-{Guid.NewGuid():N}";
        var saga = fixture.Client.GetGrain<IOrderSagaGrain>(OrderIds.For(user, "same-key"));
        var request = new PlaceOrder(user, TestCards.Visa, [new OrderLine(sku, 1, 0, null)], TestCards.Visa);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => saga.PlaceAsync(request)));
        var order = await fixture.FinishedAsync(answers[0].OrderId, OrderStatus.Confirmed);

        Assert.Single(answers.Select(a => a.OrderId).Distinct());
        Assert.Equal(["authorize:authorized", "capture:captured"], await fixture.LedgerOfAsync(order.OrderId));
        Assert.True(await fixture.StockOfAsync(sku) is { OnHand: 4 }, $"order {order.OrderId}: sold more than once");
        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => saga.PlaceAsync(request with { PaymentMethod = TestCards.ChargeDeclined, RequestHash = TestCards.ChargeDeclined }));
    }

    [Fact]
    public async Task A_stalled_saga_lets_its_reservation_expire_and_then_fails_cleanly_when_the_stock_is_gone()
    {
        var sku = await fixture.StockAsync(1);

        // The saga stalls while authorizing: the payment's intent write is held.
        var held = fixture.Faults.OnStorage(
            c => c.Operation == StorageOperation.Write && c.StateName == "payments.payment" && c.State is OrleansSessions.Payments.PaymentState { Status: PaymentStatus.Authorizing },
            FaultMode.Block);
        var stalled = await fixture.PlaceAsync(TestCards.Visa, (sku, 1));
        await held.Reached.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(await fixture.StockOfAsync(sku) is { Available: 0 }, $"{sku}: not reserved by the stalled order");

        // Its lease runs out: the stock frees itself, and another order buys it.
        fixture.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.True(await fixture.StockOfAsync(sku) is { Available: 1 }, $"{sku}: the expired reservation still holds the stock");
        var other = await fixture.OrderAsync(TestCards.Visa, (sku, 1));
        Assert.Equal(OrderStatus.Confirmed, other.Status);

        held.Release();
        var failed = await fixture.FinishedAsync(stalled.OrderId, OrderStatus.Cancelled);
        Assert.Contains("reservation expired", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("capture:captured", await fixture.LedgerOfAsync(stalled.OrderId));
        Assert.True(await fixture.StockOfAsync(sku) is { OnHand: 0, Reserved: 0 }, $"{sku}: stock after both orders");
    }
}
