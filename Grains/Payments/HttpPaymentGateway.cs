using System.Net;
using System.Net.Http.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace OrleansSessions.Payments;

/// <summary>
/// <see cref="IPaymentGateway"/> over the gateway's HTTP API (the fake gateway's, after Stripe's): JSON bodies, the key
/// in an <c>Idempotency-Key</c> header, 402 for a decline or a failed capture. Timeouts, retries and the circuit breaker
/// are the resilience handler's (<see cref="PaymentsSiloBuilderExtensions.AddPayments"/>); what is left after them is
/// turned into <see cref="PaymentGatewayUnavailableException"/> here.
/// </summary>
internal sealed class HttpPaymentGateway(HttpClient http) : IPaymentGateway
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public async Task<GatewayOutcome> AuthorizeAsync(string idempotencyKey, PaymentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await SendAsync("v1/authorizations", idempotencyKey, new AuthorizeBody(request.Amount, request.Currency, request.PaymentMethod), cancellationToken);
    }

    public Task<GatewayOutcome> CaptureAsync(string idempotencyKey, string authorizationId, CancellationToken cancellationToken = default) =>
        SendAsync($"v1/authorizations/{Uri.EscapeDataString(authorizationId)}/capture", idempotencyKey, null, cancellationToken);

    public Task VoidAsync(string idempotencyKey, string authorizationId, CancellationToken cancellationToken = default) =>
        MustSucceedAsync($"v1/authorizations/{Uri.EscapeDataString(authorizationId)}/void", idempotencyKey, cancellationToken);

    public Task RefundAsync(string idempotencyKey, string authorizationId, CancellationToken cancellationToken = default) =>
        MustSucceedAsync($"v1/authorizations/{Uri.EscapeDataString(authorizationId)}/refund", idempotencyKey, cancellationToken);

    /// <summary>Voids and refunds have no business refusal: a 402 there is a disagreement with the gateway.</summary>
    private async Task MustSucceedAsync(string path, string idempotencyKey, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(path, idempotencyKey, null, cancellationToken);
        if (!outcome.Succeeded)
        {
            throw new PaymentGatewayException((int)HttpStatusCode.PaymentRequired, $"The payment gateway refused {path} ({idempotencyKey}): {outcome.Reason}.");
        }
    }

    private async Task<GatewayOutcome> SendAsync(string path, string idempotencyKey, AuthorizeBody? body, CancellationToken cancellationToken)
    {
        // The same message, key included, is what the resilience handler sends again on a retry.
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var authorization = await response.Content.ReadFromJsonAsync<AuthorizationBody>(cancellationToken);
                return GatewayOutcome.Done(authorization?.Id ?? throw new PaymentGatewayException((int)response.StatusCode, $"The payment gateway answered {path} ({idempotencyKey}) without an authorization id."));
            }

            var problem = await ReadProblemAsync(response, cancellationToken);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.PaymentRequired)
            {
                return GatewayOutcome.Refused(problem?.DeclineCode ?? problem?.Code ?? "refused");
            }

            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                throw Unavailable(PaymentGatewayFailure.ServerError, idempotencyKey, $"it answered {status} until the retries ran out");
            }

            throw new PaymentGatewayException(status, $"The payment gateway refused {path} ({idempotencyKey}): {status} {problem?.Code} {problem?.Detail}".TrimEnd());
        }
        catch (BrokenCircuitException)
        {
            throw Unavailable(PaymentGatewayFailure.CircuitOpen, idempotencyKey, "the circuit is open after repeated failures; the call was not sent");
        }
        catch (TimeoutRejectedException)
        {
            throw Unavailable(PaymentGatewayFailure.Timeout, idempotencyKey, "it did not answer in time; the operation may have been carried out");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(PaymentGatewayFailure.Timeout, idempotencyKey, "it did not answer in time; the operation may have been carried out");
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(PaymentGatewayFailure.Unreachable, idempotencyKey, $"it could not be reached ({e.HttpRequestError})");
        }
    }

    // Polly's and the HTTP stack's exceptions stay here (the resilience handler logs them): they need not cross the wire.
    private static PaymentGatewayUnavailableException Unavailable(PaymentGatewayFailure failure, string idempotencyKey, string why) =>
        new(failure, $"The payment gateway is unavailable for '{idempotencyKey}': {why}. Retry later; the same key is used again.");

    private static async Task<ProblemBody?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ProblemBody>(cancellationToken);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not a problem document (a proxy's HTML page): the status says enough.
            return null;
        }
    }

    private sealed record AuthorizeBody(long Amount, string Currency, string PaymentMethod);

    private sealed record AuthorizationBody(string? Id, string? Status);

    private sealed record ProblemBody(string? Code, string? DeclineCode, string? Detail);
}
