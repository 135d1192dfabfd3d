namespace OrleansSessions.Payments;

/// <summary>
/// A card payment gateway. Each call carries an idempotency key: the gateway carries out one operation per key and
/// answers a repeated key with the first answer. Declines and failed captures are outcomes; a gateway that cannot be
/// used throws <see cref="PaymentGatewayUnavailableException"/>.
/// </summary>
public interface IPaymentGateway
{
    Task<GatewayOutcome> AuthorizeAsync(string idempotencyKey, PaymentRequest request, CancellationToken cancellationToken = default);

    Task<GatewayOutcome> CaptureAsync(string idempotencyKey, string authorizationId, CancellationToken cancellationToken = default);

    Task VoidAsync(string idempotencyKey, string authorizationId, CancellationToken cancellationToken = default);

    Task RefundAsync(string idempotencyKey, string authorizationId, CancellationToken cancellationToken = default);
}

/// <summary>What the gateway decided: done (with the authorization's reference) or refused (with the gateway's reason code).</summary>
public sealed record GatewayOutcome(bool Succeeded, string? AuthorizationId, string? Reason)
{
    public static GatewayOutcome Done(string authorizationId) => new(true, authorizationId, null);

    public static GatewayOutcome Refused(string reason) => new(false, null, reason);
}
