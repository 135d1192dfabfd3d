using Orleans.Concurrency;

namespace OrleansSessions.Payments;

/// <summary>
/// One payment, keyed by payment id (the order saga uses the order id). Payments context: strong consistency — one
/// activation serializes every operation, and each is stored as an intent before the gateway is called and as a result
/// after. Every operation is idempotent: called again, it returns the stored result without calling the gateway; if the
/// last attempt's outcome is unknown, it asks the gateway again with the same idempotency key
/// (<c>{paymentId}:{operation}</c>), so nothing is charged twice.
/// Business outcomes (declined, capture failed) are results; a gateway that cannot be used throws
/// <see cref="PaymentGatewayUnavailableException"/> (retry with backoff); an operation that does not fit the status
/// throws <see cref="PaymentStateConflictException"/>; invalid input throws <c>DomainValidationException</c>.
/// </summary>
[Alias("payments.IPaymentGrain")]
public interface IPaymentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Authorizes the request: <see cref="PaymentStatus.Authorized"/> or <see cref="PaymentStatus.Declined"/>. Called
    /// again with the same request it returns where the payment stands; with another request it conflicts.
    /// </summary>
    [Alias("authorize")]
    Task<PaymentResult> AuthorizeAsync(PaymentRequest request);

    /// <summary>Captures the authorized amount: <see cref="PaymentStatus.Captured"/> or <see cref="PaymentStatus.CaptureFailed"/>.</summary>
    [Alias("capture")]
    Task<PaymentResult> CaptureAsync();

    /// <summary>
    /// Releases the authorization (also after a failed capture): <see cref="PaymentStatus.Voided"/>. A payment with
    /// nothing authorized yet is voided without calling the gateway, so a late authorize conflicts; a declined one stays
    /// declined. A captured payment conflicts: refund it instead.
    /// </summary>
    [Alias("void")]
    Task<PaymentResult> VoidAsync();

    /// <summary>Refunds the captured amount in full: <see cref="PaymentStatus.Refunded"/>.</summary>
    [Alias("refund")]
    Task<PaymentResult> RefundAsync();

    /// <summary>Where the payment stands, pending statuses included; never calls the gateway.</summary>
    [ReadOnly]
    [Alias("get")]
    Task<PaymentResult> GetAsync();
}
