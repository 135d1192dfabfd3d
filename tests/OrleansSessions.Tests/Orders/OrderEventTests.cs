using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansSessions.ApiHost.Orders;
using OrleansSessions.Carts;
using OrleansSessions.Common.Events;
using OrleansSessions.Orders;
using OrleansSessions.PaymentGateway;
using OrleansSessions.Sessions;
using OrleansSessions.Tests.Infrastructure;
using OrleansSessions.Tests.Infrastructure.Faults;

namespace OrleansSessions.Tests.Orders;

/// <summary>What follows from order events: projections, dead letters and replay; the overview's partial answers.</summary>
[Collection(OrderClusterCollection.Name)]
public sealed class OrderEventTests(OrderClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_poison_event_goes_to_the_dead_letters_without_holding_up_the_rest_and_replays_after_the_fix()
    {
        var sku = await fixture.StockAsync(5);
        var user = $"buyer-{Guid.NewGuid():N}";
        var orderId = OrderIds.For(user, "k");
        fixture.Faults.Poisoned[orderId] = true;
        await fixture.Client.GetGrain<IOrderSagaGrain>(orderId).PlaceAsync(new PlaceOrder(user, TestCards.Visa, [new OrderLine(sku, 1, 0, null)], TestCards.Visa));
        var order = await fixture.FinishedAsync(orderId, OrderStatus.Confirmed);

        // The other consumers went on: the user's history has the order.
        await Poll.UntilAsync(
            async () => (await fixture.Client.GetGrain<IUserOrderHistoryGrain>(order.UserId).ListAsync()).Any(o => o.OrderId == order.OrderId && o.Status == OrderStatus.Confirmed),
            Deadline,
            $"the history of {order.UserId} to show confirmed order {order.OrderId}");

        var deadLetters = fixture.Client.GetGrain<IDeadLettersGrain>(0);
        var letters = await Poll.ForAsync(
            async () => (await deadLetters.ListAsync(1000)).Where(l => l.Consumer == PoisonReaction.ConsumerName && l.Envelope.AggregateId == order.OrderId).ToArray() is { Length: > 0 } found ? found : null,
            Deadline,
            $"order {order.OrderId}'s events in the dead letters");
        Assert.All(letters, l => Assert.Equal(3, l.Attempts));

        await Assert.ThrowsAnyAsync<Exception>(() => deadLetters.ReplayAsync(letters[0].Id));
        fixture.Faults.Poisoned.TryRemove(order.OrderId, out _);
        foreach (var letter in letters)
        {
            Assert.True(await deadLetters.ReplayAsync(letter.Id), $"order {order.OrderId}: dead letter {letter.Id} not replayed");
        }

        Assert.DoesNotContain(await deadLetters.ListAsync(1000), l => l.Envelope.AggregateId == order.OrderId);
    }

    [Fact]
    public async Task A_confirmed_order_empties_what_was_ordered_from_the_users_cart()
    {
        var sku = await fixture.StockAsync(5);
        var user = $"buyer-{Guid.NewGuid():N}";
        var cart = fixture.Client.GetGrain<ICartGrain>(CartKeys.User(user));
        await cart.AddItemAsync(sku, 2);
        var saga = fixture.Client.GetGrain<IOrderSagaGrain>(OrderIds.For(user, "k"));
        await saga.PlaceAsync(new PlaceOrder(user, TestCards.Visa, [new OrderLine(sku, 2, 0, null)], TestCards.Visa));
        await cart.AddItemAsync("ADDED-LATER", 1);

        await fixture.FinishedAsync(saga.GetPrimaryKeyString(), OrderStatus.Confirmed);
        var emptied = await Poll.ForAsync(
            async () => await cart.GetAsync() is { } view && view.Lines.All(l => l.Sku != sku) ? view : null,
            Deadline,
            $"the cart of {user} to lose the ordered lines");
        Assert.Equal([new CartLine("ADDED-LATER", 1)], emptied.Lines.ToArray());
    }

    [Fact]
    public async Task The_overview_answers_with_what_arrived_and_names_the_part_that_did_not()
    {
        var user = $"viewer-{Guid.NewGuid():N}";
        var cart = fixture.Client.GetGrain<ICartGrain>(CartKeys.User(user));
        await cart.AddItemAsync("A", 1);

        // The cart is busy storing a change that does not finish: its branch cannot answer in time.
        var held = fixture.Faults.OnStorage(c => c.Operation == StorageOperation.Write && c.GrainId == cart.GetGrainId(), FaultMode.Block);
        var write = cart.AddItemAsync("B", 1);
        await held.Reached.WaitAsync(Deadline);

        var overview = await UserOverview.ReadAsync(fixture.Client, user, TimeSpan.FromMilliseconds(500)).WaitAsync(Deadline);

        held.Release();
        await write;
        Assert.Equal(["cart"], overview.Missing);
        Assert.True(overview is { Cart: null, Sessions: not null, Orders: not null }, $"user {user}: {overview}");
    }

    [Fact]
    public void A_stored_v1_session_event_envelope_still_deserializes()
    {
        // Serialized by the first version of the envelope and SessionEvent.v1; kept as stored bytes, never regenerated.
        var stored = Convert.FromBase64String(StoredV1Envelope);
        var serializer = fixture.Client.ServiceProvider.GetRequiredService<Serializer<EventEnvelope>>();

        var envelope = serializer.Deserialize(stored)!;

        Assert.Equal("sessions.SessionEvent", envelope.Type);
        Assert.Equal(1, envelope.SchemaVersion);
        var payload = Assert.IsType<SessionEvent>(envelope.Payload);
        Assert.True(payload is { Kind: SessionEventKind.UserBound, UserId: "alice" }, $"{payload}");
    }

    private const string StoredV1Envelope =
        "IOhAIT4tHG9bSm1Mjn+aCxwtPk9BK3Nlc3Npb25zLlNlc3Npb25FdmVudAEFQSloYXNoLW9mLXNlc3Npb24taWQtMQEdIYAAwIbgdE7fCIEAAAAAAAAAAOBBDWNvcnItMTEBK6GnBjFzZXNzaW9ucy5TZXNzaW9uRXZlbnQudjHoQCE+LRxvW0ptTI5/mgscLT5PCQMJwQtBC2FsaWNlIYAAwIbgdE7fCIEAAAAAAAAAAODBFUEpaGFzaC1vZi1zZXNzaW9uLWlkLTLg4A==";
}
