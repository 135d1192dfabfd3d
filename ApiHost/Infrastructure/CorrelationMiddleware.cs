using System.Diagnostics;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

internal static class CorrelationMiddleware
{
    public const string Header = "X-Correlation-Id";

    /// <summary>
    /// Takes the caller's <c>X-Correlation-Id</c> (or the trace id) into the Orleans request context, so grains and the
    /// events they raise carry it, and echoes it on the response.
    /// </summary>
    public static IApplicationBuilder UseCorrelationId(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var id = http.Request.Headers[Header].ToString() is { Length: > 0 and <= 128 } given
            ? given
            : Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        http.Response.Headers[Header] = id;
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
