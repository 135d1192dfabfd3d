using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansSessions.Common;
using OrleansSessions.PaymentGateway;
using OrleansSessions.Payments;
using OrleansSessions.Tests.Infrastructure;

namespace OrleansSessions.Tests.Payments;

/// <summary>The payment grain against the fake gateway over HTTP, on a memory TestCluster.</summary>
[Collection(PaymentClusterCollection.Name)]
public sealed class PaymentGrainTests(PaymentClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private RunningFakeGateway Gateway => fixture.Gateway;

    private static string NewPaymentId() => $"order-{Guid.NewGuid():N}";

    private static PaymentRequest Request(string card = TestCards.Visa, long amount = 4200) => new(amount, "EUR", card);

    private IPaymentGrain Payment(string id) => fixture.Client.GetGrain<IPaymentGrain>(id);

    /// <summary>How many times the gateway carried out <paramref name="operation"/> for the payment.</summary>
    private async Task<int> ChargesAsync(string paymentId, string operation) => (await Gateway.EntriesAsync($"{paymentId}:{operation}")).Count;

    [Fact]
    public async Task Authorize_capture_and_refund_move_the_payment_on_and_each_is_carried_out_once()
    {
        var id = NewPaymentId();
        var authorized = await Payment(id).AuthorizeAsync(Request());
        Assert.True(authorized is { Status: PaymentStatus.Authorized, AuthorizationId: not null, Reason: null }, $"payment {id}: {authorized}");
        Assert.Equal(Request(), authorized.Request);

        var captured = await Payment(id).CaptureAsync();
        Assert.True(captured.Status == PaymentStatus.Captured, $"payment {id}: {captured}");
        var refunded = await Payment(id).RefundAsync();
        Assert.True(refunded.Status == PaymentStatus.Refunded, $"payment {id}: {refunded}");

        Assert.Equal(refunded, await Payment(id).GetAsync());
        foreach (var operation in new[] { "authorize", "capture", "refund" })
        {
            Assert.True(await ChargesAsync(id, operation) == 1, $"payment {id}: {operation} should be carried out once");
        }
    }

    [Fact]
    public async Task Voiding_an_authorized_payment_releases_the_authorization()
    {
        var id = NewPaymentId();
        var authorized = await Payment(id).AuthorizeAsync(Request());

        var voided = await Payment(id).VoidAsync();

        Assert.True(voided is { Status: PaymentStatus.Voided } && voided.AuthorizationId == authorized.AuthorizationId, $"payment {id}: {voided}");
        var entry = Assert.Single(await Gateway.EntriesAsync($"{id}:void"));
        Assert.True(entry.Outcome == AuthorizationStatus.Voided && entry.AuthorizationId == authorized.AuthorizationId, $"payment {id}: {entry}");
    }

    [Theory]
    [InlineData(TestCards.ChargeDeclined, "generic_decline")]
    [InlineData(TestCards.ChargeDeclinedInsufficientFunds, "insufficient_funds")]
    public async Task A_declined_card_is_a_declined_result_with_the_gateways_reason_not_an_exception(string card, string reason)
    {
        var id = NewPaymentId();
        var declined = await Payment(id).AuthorizeAsync(Request(card));

        Assert.True(declined is { Status: PaymentStatus.Declined, AuthorizationId: null } && declined.Reason == reason, $"payment {id}: {declined}");
        Assert.Equal(declined, await Payment(id).AuthorizeAsync(Request(card)));
        Assert.True(await ChargesAsync(id, "authorize") == 1, $"payment {id}: the decline is stored, not asked for again");

        // Nothing was authorized, so there is nothing to release; capturing conflicts.
        Assert.Equal(PaymentStatus.Declined, (await Payment(id).VoidAsync()).Status);
        await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).CaptureAsync());
    }

    [Fact]
    public async Task A_failed_capture_is_a_result_kept_for_good_and_the_authorization_can_then_be_voided()
    {
        var id = NewPaymentId();
        await Payment(id).AuthorizeAsync(Request(TestCards.CaptureFails));

        var failed = await Payment(id).CaptureAsync();
        Assert.True(failed is { Status: PaymentStatus.CaptureFailed, Reason: "capture_failed" }, $"payment {id}: {failed}");
        Assert.Equal(failed, await Payment(id).CaptureAsync());
        Assert.True(await ChargesAsync(id, "capture") == 1, $"payment {id}: a stored capture failure is not tried again");

        var voided = await Payment(id).VoidAsync();
        Assert.True(voided.Status == PaymentStatus.Voided, $"payment {id}: {voided}");
        Assert.True(await ChargesAsync(id, "void") == 1, $"payment {id}: one void expected");
    }

    [Fact]
    public async Task Calling_an_operation_again_returns_the_stored_result_without_calling_the_gateway()
    {
        var id = NewPaymentId();
        var authorized = await Payment(id).AuthorizeAsync(Request());
        var captured = await Payment(id).CaptureAsync();

        // Every call that reached the gateway now would fail: these answers come from the stored state.
        await using (await Gateway.InjectAsync(f => f with { FailureRate = 1 }))
        {
            Assert.Equal(captured, await Payment(id).AuthorizeAsync(Request()));
            Assert.Equal(captured, await Payment(id).CaptureAsync());
        }

        Assert.Equal(authorized.AuthorizationId, captured.AuthorizationId);
        Assert.True(await ChargesAsync(id, "authorize") == 1 && await ChargesAsync(id, "capture") == 1, $"payment {id}: one authorize and one capture expected");
    }

    [Fact]
    public async Task An_authorization_that_timed_out_is_stored_as_pending_and_its_retry_settles_it_with_the_same_key_charging_once()
    {
        var id = NewPaymentId();
        var request = Request(TestCards.Slow);

        // The slow card outlasts every attempt and the total timeout, but the gateway carries the authorization out.
        var timedOut = await Assert.ThrowsAsync<PaymentGatewayUnavailableException>(() => Payment(id).AuthorizeAsync(request));
        Assert.True(timedOut.Failure == PaymentGatewayFailure.Timeout, $"payment {id}: {timedOut.Failure}: {timedOut.Message}");

        // The intent was stored before the call: outcome unknown, in memory and in the store.
        Assert.Equal(PaymentStatus.Authorizing, (await Payment(id).GetAsync()).Status);
        var stored = new GrainState<PaymentState>();
        await fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.State)
            .ReadStateAsync("payments.payment", Payment(id).GetGrainId(), stored);
        Assert.True(stored.State is { Status: PaymentStatus.Authorizing } && stored.State.Request == request, $"payment {id}: stored {stored.State}");

        await Poll.UntilAsync(async () => await ChargesAsync(id, "authorize") == 1, Deadline, $"the gateway to carry out the authorization of payment {id}");

        var settled = await Payment(id).AuthorizeAsync(request);
        Assert.True(settled is { Status: PaymentStatus.Authorized, AuthorizationId: not null }, $"payment {id}: {settled}");
        Assert.Equal((await Gateway.EntriesAsync($"{id}:authorize")).Single().AuthorizationId, settled.AuthorizationId);
        Assert.True(await ChargesAsync(id, "authorize") == 1, $"payment {id}: the retry must not charge again");
    }

    [Fact]
    public async Task Transient_gateway_failures_surface_as_PaymentGatewayUnavailableException_once_the_retries_give_up_and_a_later_retry_charges_once()
    {
        var id = NewPaymentId();
        await using (await Gateway.InjectAsync(f => f with { FailureRate = 1 }))
        {
            var unavailable = await Assert.ThrowsAsync<PaymentGatewayUnavailableException>(() => Payment(id).AuthorizeAsync(Request()));
            Assert.True(unavailable.Failure == PaymentGatewayFailure.ServerError, $"payment {id}: {unavailable.Failure}: {unavailable.Message}");
            Assert.Equal(PaymentStatus.Authorizing, (await Payment(id).GetAsync()).Status);
            Assert.True(await ChargesAsync(id, "authorize") == 0, $"payment {id}: nothing may be charged while the gateway fails");
        }

        var authorized = await Payment(id).AuthorizeAsync(Request());
        Assert.True(authorized.Status == PaymentStatus.Authorized, $"payment {id}: {authorized}");
        Assert.True(await ChargesAsync(id, "authorize") == 1, $"payment {id}: one authorization expected");
    }

    [Fact]
    public async Task Operations_that_do_not_fit_the_status_conflict_and_change_nothing()
    {
        var id = NewPaymentId();
        var conflict = await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).CaptureAsync());
        Assert.True(conflict is { Status: PaymentStatus.None, Operation: "capture" } && conflict.PaymentId == id, $"payment {id}: {conflict.Message}");
        await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).RefundAsync());

        var authorized = await Payment(id).AuthorizeAsync(Request());
        await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).AuthorizeAsync(Request(amount: 1)));
        await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).RefundAsync());

        await Payment(id).CaptureAsync();
        var captured = await Payment(id).GetAsync();
        var notVoidable = await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).VoidAsync());
        Assert.True(notVoidable.Status == PaymentStatus.Captured, $"payment {id}: {notVoidable.Message}");
        Assert.Equal(captured, await Payment(id).GetAsync());
        Assert.Equal(authorized.AuthorizationId, captured.AuthorizationId);
    }

    [Fact]
    public async Task Voiding_before_authorizing_cancels_the_payment_without_the_gateway_so_a_late_authorize_conflicts()
    {
        var id = NewPaymentId();
        var voided = await Payment(id).VoidAsync();
        Assert.True(voided is { Status: PaymentStatus.Voided, Request: null }, $"payment {id}: {voided}");

        await Assert.ThrowsAsync<PaymentStateConflictException>(() => Payment(id).AuthorizeAsync(Request()));
        Assert.True(await ChargesAsync(id, "authorize") == 0 && await ChargesAsync(id, "void") == 0, $"payment {id}: the gateway must not be called");
    }

    [Theory]
    [InlineData(0, "EUR", TestCards.Visa, "amount")]
    [InlineData(100_000_000, "EUR", TestCards.Visa, "amount")]
    [InlineData(100, "eur", TestCards.Visa, "currency")]
    [InlineData(100, "EUR", "", "paymentMethod")]
    public async Task An_invalid_request_is_refused_naming_the_field_and_changes_nothing(long amount, string currency, string card, string field)
    {
        var id = NewPaymentId();
        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Payment(id).AuthorizeAsync(new PaymentRequest(amount, currency, card)));

        Assert.True(error.Field == field, $"payment {id}: {error.Field}: {error.Message}");
        Assert.Equal(PaymentStatus.None, (await Payment(id).GetAsync()).Status);
    }
}
