using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Payments;

/// <summary>
/// One payment. Every gateway call is preceded by storing its intent (the <c>…ing</c> status) and followed by storing
/// its outcome; a payment found in an intent — the silo died mid-call, the gateway timed out, the outcome write failed —
/// settles it first, by calling the gateway again with the same key (<c>{paymentId}:{operation}</c>), which answers
/// with what it did the first time instead of doing it twice. Each outcome raises its fact into the payment's outbox,
/// stored by the outcome's write, and publishes it after.
/// </summary>
public sealed partial class PaymentGrain(
    [PersistentState(stateName: "payments.payment", storageName: StorageNames.State)] IPersistentState<PaymentState> payment,
    IPaymentGateway gateway,
    IEventPublisher publisher,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<PaymentGrain> logger)
    : ReleasedWhenEmptyGrain(payment), IPaymentGrain
{
    private DeferredWrite? leftoverPublisher;

    private string PaymentId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Facts an earlier activation stored but did not get out go now, in a turn of their own, not on the first call.
        if (!payment.State.Events.Pending.IsEmpty)
        {
            (leftoverPublisher ??= new(this, PublishAsync)).Request();
        }

        return Task.CompletedTask;
    }

    public Task<PaymentResult> GetAsync() => Task.FromResult(Result());

    public async Task<PaymentResult> AuthorizeAsync(PaymentRequest request)
    {
        PaymentRules.Validate(request);
        if (payment.State.Status == PaymentStatus.None)
        {
            // The id goes into the gateway's idempotency key.
            Identifiers.Validate(PaymentId, "paymentId");
            await BeginAsync(payment.State with { Status = PaymentStatus.Authorizing, Request = request });
            return Result();
        }

        if (payment.State.Request != request)
        {
            throw Conflict("authorize", payment.State.Request is null
                ? $"Payment '{PaymentId}' was voided before it was authorized."
                : $"Payment '{PaymentId}' was asked to authorize another request; an authorization cannot be changed.");
        }

        await SettleAsync();
        return Result();
    }

    public async Task<PaymentResult> CaptureAsync()
    {
        await SettleAsync();
        switch (payment.State.Status)
        {
            case PaymentStatus.Authorized:
                await BeginAsync(payment.State with { Status = PaymentStatus.Capturing });
                break;
            case PaymentStatus.Captured or PaymentStatus.CaptureFailed or PaymentStatus.Refunded:
                break;
            default:
                throw Conflict("capture", $"Payment '{PaymentId}' is {payment.State.Status}; only an authorized payment can be captured.");
        }

        return Result();
    }

    public async Task<PaymentResult> VoidAsync()
    {
        await SettleAsync();
        switch (payment.State.Status)
        {
            case PaymentStatus.None:
                // Cancelled before anything was authorized: nothing to release, and a late authorize must not go through.
                await this.CommitAsync(payment, Raise(payment.State with { Status = PaymentStatus.Voided }, new PaymentVoided(PaymentId)));
                await PublishAsync();
                break;
            case PaymentStatus.Authorized or PaymentStatus.CaptureFailed:
                await BeginAsync(payment.State with { Status = PaymentStatus.Voiding });
                break;
            case PaymentStatus.Voided or PaymentStatus.Declined:
                break;
            default:
                throw Conflict("void", $"Payment '{PaymentId}' is {payment.State.Status}; a captured payment is refunded, not voided.");
        }

        return Result();
    }

    public async Task<PaymentResult> RefundAsync()
    {
        await SettleAsync();
        switch (payment.State.Status)
        {
            case PaymentStatus.Captured:
                await BeginAsync(payment.State with { Status = PaymentStatus.Refunding });
                break;
            case PaymentStatus.Refunded:
                break;
            default:
                throw Conflict("refund", $"Payment '{PaymentId}' is {payment.State.Status}; only a captured payment can be refunded.");
        }

        return Result();
    }

    /// <summary>Stores the intent, then carries it out: the gateway is never called for an intent that is not stored.</summary>
    private async Task BeginAsync(PaymentState intent)
    {
        await this.CommitAsync(payment, intent);
        await SettleAsync();
    }

    /// <summary>Carries out the stored intent, if any, and stores its outcome.</summary>
    private async Task SettleAsync()
    {
        var current = payment.State;
        PaymentState next;
        switch (current.Status)
        {
            case PaymentStatus.Authorizing:
                var authorization = await gateway.AuthorizeAsync(IdempotencyKey("authorize"), current.Request!);
                next = authorization.Succeeded
                    ? Raise(
                        current with { Status = PaymentStatus.Authorized, AuthorizationId = authorization.AuthorizationId },
                        new PaymentAuthorized(PaymentId, current.Request!.Amount, current.Request.Currency))
                    : Raise(
                        current with { Status = PaymentStatus.Declined, Reason = authorization.Reason },
                        new PaymentDeclined(PaymentId, authorization.Reason!));
                break;
            case PaymentStatus.Capturing:
                var capture = await gateway.CaptureAsync(IdempotencyKey("capture"), current.AuthorizationId!);
                next = capture.Succeeded
                    ? Raise(current with { Status = PaymentStatus.Captured }, new PaymentCaptured(PaymentId, current.Request!.Amount, current.Request.Currency))
                    : Raise(current with { Status = PaymentStatus.CaptureFailed, Reason = capture.Reason }, new PaymentCaptureFailed(PaymentId, capture.Reason!));
                break;
            case PaymentStatus.Voiding:
                await gateway.VoidAsync(IdempotencyKey("void"), current.AuthorizationId!);
                next = Raise(current with { Status = PaymentStatus.Voided }, new PaymentVoided(PaymentId));
                break;
            case PaymentStatus.Refunding:
                await gateway.RefundAsync(IdempotencyKey("refund"), current.AuthorizationId!);
                // The gateway refunds the whole capture.
                next = Raise(current with { Status = PaymentStatus.Refunded }, new PaymentRefunded(PaymentId, current.Request!.Amount, current.Request.Currency));
                break;
            default:
                return;
        }

        // Should this write fail, the intent stays stored and the next call settles it again under the same key.
        await this.CommitAsync(payment, next);
        LogSettled(logger, PaymentId, current.Status, next.Status, next.Reason);
        await PublishAsync();
    }

    /// <summary>Publishes the stored facts; what fails stays stored and goes out after the next outcome or activation.</summary>
    private async Task PublishAsync()
    {
        // Emptied in memory only; the next write stores it (a re-publish after a crash is a duplicate that consumers
        // drop by event id).
        payment.State = payment.State with { Events = await publisher.PublishPendingAsync(payment.State.Events, PaymentId, logger) };
    }

    private PaymentState Raise(PaymentState state, IDomainEvent fact)
        => state with { Events = state.Events.Raise(PaymentId, fact, time.GetUtcNow(), Correlation.Id) };

    /// <summary>One key per payment and operation: every attempt at the same operation is the same request to the gateway.</summary>
    private string IdempotencyKey(string operation) => $"{PaymentId}:{operation}";

    private PaymentStateConflictException Conflict(string operation, string message) =>
        new(PaymentId, payment.State.Status, operation, message);

    private PaymentResult Result()
    {
        var state = payment.State;
        return new PaymentResult(PaymentId, state.Status, state.Request, state.AuthorizationId, state.Reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Payment {PaymentId}: {From} -> {To} {Reason}")]
    private static partial void LogSettled(ILogger logger, string paymentId, PaymentStatus from, PaymentStatus to, string? reason);

}
