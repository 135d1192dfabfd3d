using System.Globalization;

namespace OrleansSessions.ApiHost.Infrastructure;

internal static class Problems
{
    /// <summary>Seconds a client should wait before retrying while the cluster or its database is away.</summary>
    public const int RetryAfterSeconds = 2;

    /// <summary>
    /// A 503 problem with <c>Retry-After</c>. Its <c>outcome</c> tells a client whether the request is known not to have
    /// been applied (<c>not-applied</c>: safe to send again) or the cluster went quiet mid-way (<c>unknown</c>).
    /// </summary>
    public static ValueTask WriteUnavailableAsync(
        IProblemDetailsService problems, HttpContext http, OutageOutcome outcome, Exception? exception = null)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var context = new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = outcome == OutageOutcome.Unknown
                    ? "The cluster stopped answering; the request may or may not have been applied. Retry later."
                    : "The cluster or its database is not reachable; nothing was changed. Retry later.",
            },
        };
        context.ProblemDetails.Extensions["outcome"] = outcome == OutageOutcome.Unknown ? "unknown" : "not-applied";
        return problems.WriteAsync(context);
    }
}
