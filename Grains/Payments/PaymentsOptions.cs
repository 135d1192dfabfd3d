namespace OrleansSessions.Payments;

/// <summary>The <c>Payments</c> configuration section: where the gateway is, and how hard to try it.</summary>
public sealed class PaymentsOptions
{
    public const string SectionName = "Payments";

    /// <summary>Base address of the payment gateway (<c>Payments:GatewayUrl</c>); payment grains refuse to activate without it.</summary>
    public Uri? GatewayUrl { get; set; }

    /// <summary>One HTTP attempt; a slower answer counts as a transient failure and is retried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>All attempts and the waits between them; well inside Orleans' 30 s grain-call timeout, so the grain records what happened.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Retries after the first attempt, on transient failures only (timeouts, 5xx, 408, 429, connection errors).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; doubles per retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Share of failed attempts within <see cref="CircuitBreakerSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within <see cref="CircuitBreakerSamplingDuration"/> before the ratio counts.</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 10;

    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before letting one through to probe the gateway.</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
