namespace OrleansSessions.Payments;

/// <summary>Why the gateway could not be used.</summary>
public enum PaymentGatewayFailure
{
    /// <summary>No answer in time, after retries: the operation may have been carried out.</summary>
    Timeout = 0,

    /// <summary>The gateway answered 5xx (or 408/429) until the retries ran out.</summary>
    ServerError = 1,

    /// <summary>No connection could be made, after retries.</summary>
    Unreachable = 2,

    /// <summary>Too many recent failures: calls are refused without reaching the gateway until the circuit closes again.</summary>
    CircuitOpen = 3,
}

/// <summary>
/// The payment gateway is unavailable for now (timeouts, 5xx, circuit open), after the resilience pipeline gave up.
/// Transient: the payment keeps its pending status, and calling the same operation again (with backoff) settles it
/// with the same idempotency key, so nothing is charged twice. Hosts map it to 503.
/// </summary>
[GenerateSerializer]
[Alias("payments.PaymentGatewayUnavailableException")]
public sealed class PaymentGatewayUnavailableException : Exception
{
    public PaymentGatewayUnavailableException(PaymentGatewayFailure failure, string message)
        : base(message) => Failure = failure;

    public PaymentGatewayUnavailableException()
        : base("The payment gateway is unavailable; retry later.")
    {
    }

    public PaymentGatewayUnavailableException(string message)
        : base(message)
    {
    }

    public PaymentGatewayUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public PaymentGatewayFailure Failure { get; init; }
}

/// <summary>
/// The gateway refused a call as malformed or out of order (4xx other than a decline): not transient and not a
/// business outcome, but a disagreement between this service and the gateway. The payment keeps its pending status.
/// </summary>
[GenerateSerializer]
[Alias("payments.PaymentGatewayException")]
public sealed class PaymentGatewayException : Exception
{
    public PaymentGatewayException(int statusCode, string message)
        : base(message) => StatusCode = statusCode;

    public PaymentGatewayException()
    {
    }

    public PaymentGatewayException(string message)
        : base(message)
    {
    }

    public PaymentGatewayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The gateway's HTTP status.</summary>
    [Id(0)]
    public int StatusCode { get; init; }
}

/// <summary>The operation does not fit the payment's status (capture before authorize, refund of a voided payment, another request for an authorized payment). Nothing changed; hosts map it to 409.</summary>
[GenerateSerializer]
[Alias("payments.PaymentStateConflictException")]
public sealed class PaymentStateConflictException : Exception
{
    public PaymentStateConflictException(string paymentId, PaymentStatus status, string operation, string message)
        : base(message)
    {
        PaymentId = paymentId;
        Status = status;
        Operation = operation;
    }

    public PaymentStateConflictException()
    {
    }

    public PaymentStateConflictException(string message)
        : base(message)
    {
    }

    public PaymentStateConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public string PaymentId { get; init; } = "";

    [Id(1)]
    public PaymentStatus Status { get; init; }

    /// <summary><c>authorize</c>, <c>capture</c>, <c>void</c> or <c>refund</c>.</summary>
    [Id(2)]
    public string Operation { get; init; } = "";
}
