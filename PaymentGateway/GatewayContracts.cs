namespace OrleansSessions.PaymentGateway;

/// <summary>Body of <c>POST /v1/authorizations</c>: hold <see cref="Amount"/> minor units (cents) of <see cref="Currency"/> on a card.</summary>
public sealed record AuthorizeRequest(long Amount, string? Currency, string? PaymentMethod);

/// <summary>An authorization as the gateway answers it; <see cref="Status"/> is one of <see cref="AuthorizationStatus"/>.</summary>
public sealed record AuthorizationView(string Id, string Status, long Amount, string Currency, string PaymentMethod, DateTimeOffset Created);

public static class AuthorizationStatus
{
    public const string Authorized = "authorized";
    public const string Captured = "captured";
    public const string CaptureFailed = "capture_failed";
    public const string Voided = "voided";
    public const string Refunded = "refunded";
}

/// <summary>
/// One operation the gateway carried out (a replay of an idempotent call is not one). <see cref="Operation"/> is
/// <c>authorize</c>, <c>capture</c>, <c>void</c> or <c>refund</c>; <see cref="Outcome"/> is <c>declined</c> or the
/// <see cref="AuthorizationStatus"/> the operation led to.
/// </summary>
public sealed record LedgerEntry(
    long Sequence,
    DateTimeOffset At,
    string Operation,
    string Outcome,
    string IdempotencyKey,
    string? AuthorizationId,
    long Amount,
    string Currency,
    string PaymentMethod,
    string? DeclineCode);

/// <summary>
/// Faults the gateway injects, changed at run time through <c>PUT /admin/faults</c>: the share of operation calls
/// answered with a transient 503 (0..1), latency added to each operation call, and how long <see cref="TestCards.Slow"/>
/// takes to authorize.
/// </summary>
public sealed record FaultSettings(double FailureRate, int LatencyMs, int SlowCardDelayMs);
