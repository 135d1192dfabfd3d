using OrleansSessions.Common.Events;

namespace OrleansSessions.Payments;

/// <summary>The gateway authorized <see cref="Amount"/> (minor units) of <see cref="Currency"/>.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentAuthorized.v1")]
[DomainEvent("payments.PaymentAuthorized", 1)]
public sealed record PaymentAuthorized(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] long Amount,
    [property: Id(2)] string Currency) : IDomainEvent;

/// <summary>The gateway refused the authorization, with its reason code. Final.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentDeclined.v1")]
[DomainEvent("payments.PaymentDeclined", 1)]
public sealed record PaymentDeclined(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] string Reason) : IDomainEvent;

/// <summary>The authorized amount was captured (charged).</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentCaptured.v1")]
[DomainEvent("payments.PaymentCaptured", 1)]
public sealed record PaymentCaptured(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] long Amount,
    [property: Id(2)] string Currency) : IDomainEvent;

/// <summary>The gateway refused the capture for good, with its reason code; the authorization can still be voided.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentCaptureFailed.v1")]
[DomainEvent("payments.PaymentCaptureFailed", 1)]
public sealed record PaymentCaptureFailed(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] string Reason) : IDomainEvent;

/// <summary>The authorization was released, or the payment was cancelled before anything was authorized. Final.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentVoided.v1")]
[DomainEvent("payments.PaymentVoided", 1)]
public sealed record PaymentVoided([property: Id(0)] string PaymentId) : IDomainEvent;

/// <summary>The captured amount was given back in full.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentRefunded.v1")]
[DomainEvent("payments.PaymentRefunded", 1)]
public sealed record PaymentRefunded(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] long Amount,
    [property: Id(2)] string Currency) : IDomainEvent;
