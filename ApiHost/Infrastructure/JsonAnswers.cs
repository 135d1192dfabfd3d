using Microsoft.Net.Http.Headers;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// This API answers JSON only and does not negotiate (RFC 9110 lets a server disregard Accept). Without this, a
/// request whose Accept leaves JSON out (text/html, application/xml) would get its errors as the framework's plain
/// text page, or none at all, instead of a problem document.
/// </summary>
internal static class JsonAnswers
{
    private const string Json = "application/json, application/problem+json";

    public static IApplicationBuilder UseJsonAnswers(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (!AcceptsJson(http.Request))
        {
            http.Request.Headers.Accept = Json;
        }

        return next(http);
    });

    private static bool AcceptsJson(HttpRequest request)
    {
        if (request.Headers.Accept.Count == 0)
        {
            return true;
        }

        return MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
            && accepted.Any(a => a.Quality is not 0 && (a.MatchesAllTypes || a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || a.MediaType.Equals("application/problem+json", StringComparison.OrdinalIgnoreCase)
                || a.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase)));
    }
}
