namespace OrleansSessions.ApiHost.Infrastructure;

internal static class Problems
{
    /// <summary>Seconds a client should wait before retrying while the cluster or its database is away.</summary>
    public const int RetryAfterSeconds = 2;

    /// <summary>A 503 problem with <c>Retry-After</c>: nothing was changed, and the same request may be sent again.</summary>
    public static ValueTask WriteUnavailableAsync(IProblemDetailsService problems, HttpContext http, string detail, Exception? exception = null)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = detail },
        });
    }
}
