using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansSessions.Common;
using OrleansSessions.PaymentGateway;
using OrleansSessions.Payments;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Payments;

/// <summary>The facts a payment publishes on the <c>payments</c> streams, against the fake gateway on a memory TestCluster.</summary>
[Collection(PaymentClusterCollection.Name)]
public sealed class PaymentEventTests(PaymentClusterFixture fixture)
{
    private const string Context = "payments";

    private static string NewPaymentId() => $"order-{Guid.NewGuid():N}";

    private static PaymentRequest Request(string card = TestCards.Visa) => new(4200, "EUR", card);

    private IPaymentGrain Payment(string id) => fixture.Client.GetGrain<IPaymentGrain>(id);

    /// <summary>What the silo's grain storage holds for the payment, read past the activation (null when nothing is stored).</summary>
    private async Task<PaymentState?> StoredAsync(string id)
    {
        var stored = new GrainState<PaymentState>();
        await fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.State)
            .ReadStateAsync("payments.payment", Payment(id).GetGrainId(), stored);
        return stored.RecordExists ? stored.State : null;
    }

    [Fact]
    public async Task Authorize_capture_and_refund_publish_their_facts_in_order_and_repeating_them_publishes_nothing()
    {
        var id = NewPaymentId();
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, id);

        await Payment(id).AuthorizeAsync(Request());
        await Payment(id).AuthorizeAsync(Request());
        await Payment(id).CaptureAsync();
        await Payment(id).CaptureAsync();

        // A real change last: had a repeat raised anything, it would be numbered before this one.
        await Payment(id).RefundAsync();
        await Payment(id).RefundAsync();

        await events.AssertSequenceAsync(
            new PaymentAuthorized(id, 4200, "EUR"),
            new PaymentCaptured(id, 4200, "EUR"),
            new PaymentRefunded(id, 4200, "EUR"));
        var stored = await StoredAsync(id);
        Assert.True(stored!.Events.LastSequence == 3, $"payment {id}: the store holds sequence {stored.Events.LastSequence}, not the last fact's 3");
    }

    [Fact]
    public async Task A_failed_capture_is_published_with_the_gateways_reason_once_and_then_the_void()
    {
        var id = NewPaymentId();
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, id);

        await Payment(id).AuthorizeAsync(Request(TestCards.CaptureFails));
        var failed = await Payment(id).CaptureAsync();
        await Payment(id).CaptureAsync();
        await Payment(id).VoidAsync();
        await Payment(id).VoidAsync();

        Assert.True(failed.Reason is not null, $"payment {id}: a failed capture without a reason: {failed}");
        await events.AssertSequenceAsync(
            new PaymentAuthorized(id, 4200, "EUR"),
            new PaymentCaptureFailed(id, failed.Reason),
            new PaymentVoided(id));
    }

    [Fact]
    public async Task A_decline_is_published_once_with_the_gateways_reason()
    {
        var id = NewPaymentId();
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, id);

        await Payment(id).AuthorizeAsync(Request(TestCards.ChargeDeclined));
        await Payment(id).AuthorizeAsync(Request(TestCards.ChargeDeclined));
        await Payment(id).VoidAsync();

        await events.AssertSequenceAsync(new PaymentDeclined(id, "generic_decline"));
        var stored = await StoredAsync(id);
        Assert.True(stored!.Events.LastSequence == 1, $"payment {id}: the repeats raised facts up to sequence {stored.Events.LastSequence}");
    }

    [Fact]
    public async Task Voiding_before_anything_was_authorized_is_published_once()
    {
        var id = NewPaymentId();
        await using var events = await AggregateEvents.ListenAsync(fixture.Client, Context, id);

        await Payment(id).VoidAsync();
        await Payment(id).VoidAsync();

        await events.AssertSequenceAsync(new PaymentVoided(id));
        var stored = await StoredAsync(id);
        Assert.True(stored!.Events.LastSequence == 1, $"payment {id}: the repeat raised facts up to sequence {stored.Events.LastSequence}");
    }
}
