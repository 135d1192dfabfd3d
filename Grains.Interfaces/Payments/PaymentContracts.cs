namespace OrleansSessions.Payments;

/// <summary>What to authorize: <see cref="Amount"/> in minor units (cents) of <see cref="Currency"/> (ISO 4217), on <see cref="PaymentMethod"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentRequest")]
public sealed record PaymentRequest(
    [property: Id(0)] long Amount,
    [property: Id(1)] string Currency,
    [property: Id(2)] string PaymentMethod);

/// <summary>
/// Where a payment stands. The <c>…ing</c> statuses are stored before the gateway is called: a payment left in one
/// (the silo died, the gateway timed out) has an outcome nobody knows yet, which the next call on the payment settles
/// by asking the gateway again with the same idempotency key. Values are stored: never renumber them.
/// </summary>
public enum PaymentStatus
{
    /// <summary>Nothing asked yet.</summary>
    None = 0,
    Authorizing = 1,
    Authorized = 2,

    /// <summary>The gateway refused the authorization; <see cref="PaymentResult.Reason"/> says why. Final.</summary>
    Declined = 3,
    Capturing = 4,
    Captured = 5,

    /// <summary>The gateway refused the capture for good; <see cref="PaymentResult.Reason"/> says why. The authorization can still be voided.</summary>
    CaptureFailed = 6,
    Voiding = 7,

    /// <summary>The authorization was released, or the payment was cancelled before anything was authorized. Final.</summary>
    Voided = 8,
    Refunding = 9,
    Refunded = 10,
}

/// <summary>A payment as it stands.</summary>
/// <param name="PaymentId">The grain key (the saga uses the order id).</param>
/// <param name="Request">What was asked to be authorized; null while nothing was.</param>
/// <param name="AuthorizationId">The gateway's reference of the authorization, once authorized.</param>
/// <param name="Reason">The gateway's code for a <see cref="PaymentStatus.Declined"/> (<c>insufficient_funds</c>, <c>generic_decline</c>) or <see cref="PaymentStatus.CaptureFailed"/> payment.</param>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentResult")]
public sealed record PaymentResult(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] PaymentStatus Status,
    [property: Id(2)] PaymentRequest? Request,
    [property: Id(3)] string? AuthorizationId,
    [property: Id(4)] string? Reason);
