using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace OrleansSessions.Payments;

public static class PaymentsSiloBuilderExtensions
{
    /// <summary>
    /// The payment gateway client of <see cref="PaymentGrain"/>, configured from the <c>Payments</c> section
    /// (<see cref="PaymentsOptions"/>): total timeout ⊃ retries (exponential backoff with jitter, transient failures
    /// only) ⊃ circuit breaker ⊃ per-attempt timeout. Retrying POSTs is safe: each carries its idempotency key.
    /// </summary>
    public static ISiloBuilder AddPayments(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<PaymentsOptions>().Bind(silo.Configuration.GetSection(PaymentsOptions.SectionName));
        silo.Services.AddHttpClient<IPaymentGateway, HttpPaymentGateway>((sp, http) => http.BaseAddress = BaseAddress(sp.GetRequiredService<IOptions<PaymentsOptions>>().Value))
            // Grain activations keep their client for long: one handler, never rotated, whose pool renews connections (DNS changes) instead.
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("payment-gateway", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<PaymentsOptions>>().Value;
                pipeline
                    .AddTimeout(options.TotalTimeout)
                    .AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetryAttempts,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = options.RetryBaseDelay,
                    })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        FailureRatio = options.CircuitBreakerFailureRatio,
                        MinimumThroughput = options.CircuitBreakerMinimumThroughput,
                        SamplingDuration = options.CircuitBreakerSamplingDuration,
                        BreakDuration = options.CircuitBreakerBreakDuration,
                    })
                    .AddTimeout(options.AttemptTimeout);
            });
        return silo;
    }

    private static Uri BaseAddress(PaymentsOptions options)
    {
        var url = options.GatewayUrl ?? throw new InvalidOperationException(
            $"'{PaymentsOptions.SectionName}:{nameof(PaymentsOptions.GatewayUrl)}' is not set: payment grains need the payment gateway's address.");

        // Relative paths resolve below the whole base address only when it ends with a slash.
        return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
    }
}
