using Microsoft.AspNetCore.Http.Features;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// Refuses request targets with <c>.</c> or <c>..</c> path segments, plain or percent-encoded. Kestrel removes them
/// before routing, so <c>DELETE /sessions/{id}/attributes/..</c> would otherwise reach <c>DELETE /sessions/{id}</c> and end
/// the whole session; no resource of this API is named by such a segment.
/// </summary>
internal static class DotSegmentGuard
{
    public static IApplicationBuilder UseDotSegmentGuard(this IApplicationBuilder app) => app.Use((http, next)
        => HasDotSegment(http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "") ? RefuseAsync(http) : next(http));

    private static Task RefuseAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Bad request",
                Detail = "The request path may not contain '.' or '..' segments.",
            },
        }).AsTask();
    }

    public static bool HasDotSegment(string rawTarget)
    {
        var path = rawTarget.AsSpan();
        var query = path.IndexOfAny('?', '#');
        if (query >= 0)
        {
            path = path[..query];
        }

        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            var dots = 0;
            while (!segment.IsEmpty)
            {
                if (segment[0] == '.')
                {
                    segment = segment[1..];
                }
                else if (segment.StartsWith("%2E", StringComparison.OrdinalIgnoreCase))
                {
                    segment = segment[3..];
                }
                else
                {
                    break;
                }

                dots++;
            }

            if (segment.IsEmpty && dots is 1 or 2)
            {
                return true;
            }
        }

        return false;
    }
}
