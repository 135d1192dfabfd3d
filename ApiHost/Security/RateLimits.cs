using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace OrleansSessions.ApiHost.Security;

/// <summary>One limit: a token bucket refilled <see cref="PerSecond"/> times a second, holding at most <see cref="Burst"/>.</summary>
public sealed class RateLimit
{
    /// <summary>Requests a second, sustained; 0 turns the limit off.</summary>
    public int PerSecond { get; set; }

    /// <summary>Requests allowed at once above the sustained rate (the bucket's size); at least <see cref="PerSecond"/>.</summary>
    public int Burst { get; set; }
}

/// <summary>The <c>RateLimits</c> configuration section.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Each service credential (API key, access token client), on every route.</summary>
    public RateLimit PerCredential { get; set; } = new() { PerSecond = 2000, Burst = 4000 };

    /// <summary>Each end user (a session token's user, or its session when anonymous), on every route.</summary>
    public RateLimit PerUser { get; set; } = new() { PerSecond = 20, Burst = 40 };

    /// <summary>Callers without a valid credential, per client address: they only ever get 401s.</summary>
    public RateLimit PerAnonymousAddress { get; set; } = new() { PerSecond = 20, Burst = 40 };

    /// <summary>Session creation and token validation, per credential, on top of the others: the routes an attacker farms.</summary>
    public RateLimit Sensitive { get; set; } = new() { PerSecond = 200, Burst = 400 };
}

internal static class RateLimits
{
    /// <summary>The stricter policy of session creation and token validation.</summary>
    public const string SensitivePolicy = "sensitive";

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RateLimitOptions.SectionName).Get<RateLimitOptions>() ?? new RateLimitOptions();
        return services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => Bucket(
                Partition(http),
                http.User.IsEndUser() ? options.PerUser : http.User.IsService() ? options.PerCredential : options.PerAnonymousAddress));
            o.AddPolicy(SensitivePolicy, http => Bucket(Partition(http), options.Sensitive));
            o.OnRejected = (context, _) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                throw new TooManyRequestsException(seconds);
            };
        });
    }

    /// <summary>Whose bucket: the credential's name, the end user, or the client address of a caller without a credential.</summary>
    private static string Partition(HttpContext http)
        => http.User.FindFirst(Caller.CredentialClaim)?.Value ?? $"address:{http.Connection.RemoteIpAddress}";

    private static RateLimitPartition<string> Bucket(string partition, RateLimit limit) => limit.PerSecond <= 0
        ? RateLimitPartition.GetNoLimiter(partition)
        : RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(limit.Burst, limit.PerSecond),
            TokensPerPeriod = limit.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        });

    public static string RetryAfter(int seconds) => seconds.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A rate limit was reached (429 with Retry-After).</summary>
internal sealed class TooManyRequestsException(int retryAfterSeconds)
    : Exception($"Too many requests from this caller; retry after {retryAfterSeconds} s.")
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
