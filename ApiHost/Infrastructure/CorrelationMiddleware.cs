using System.Diagnostics;
using System.Text.RegularExpressions;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>The correlation ids the API host takes from callers: short tokens that are safe in a header, a log line and an event.</summary>
internal static partial class CorrelationIds
{
    public const int MaxLength = 128;

    public const string SchemaPattern = "^[A-Za-z0-9._:+/=-]{1,128}$";

    [GeneratedRegex(@"\A[A-Za-z0-9._:+/=-]{1,128}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsSafe(string value) => Pattern().IsMatch(value);
}

internal static class CorrelationMiddleware
{
    /// <summary>
    /// Takes the caller's <c>X-Correlation-Id</c> into the Orleans request context, so grains and the events they raise
    /// carry it, and echoes it on every response, errors included. A value that is not a safe token (non-ASCII, control
    /// characters, too long) is replaced by the trace id rather than echoed into a header, a log or an event.
    /// </summary>
    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var id = http.Request.Headers[ApiContract.CorrelationHeader] is [{ } given] && CorrelationIds.IsSafe(given)
            ? given
            : Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;

        // Set as the response starts: the exception handler clears headers set earlier when it writes a problem.
        http.Response.OnStarting(static state =>
        {
            var (response, id) = ((HttpResponse, string))state;
            response.Headers[ApiContract.CorrelationHeader] = id;
            return Task.CompletedTask;
        }, (http.Response, id));
        Correlation.Id = id;
        try
        {
            await next(http);
        }
        finally
        {
            Correlation.Id = null;
        }
    });
}
