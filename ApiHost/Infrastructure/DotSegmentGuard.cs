using Microsoft.AspNetCore.Http.Features;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// Refuses request targets with <c>.</c> or <c>..</c> path segments, plain or percent-encoded. Kestrel removes them
/// before routing, so <c>DELETE /sessions/{id}/attributes/..</c> would otherwise reach <c>DELETE /sessions/{id}</c> and end
/// the whole session; no resource of this API is named by such a segment.
/// </summary>
internal static class DotSegmentGuard
{
    public static IApplicationBuilder UseDotSegmentGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (HasDotSegment(target))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "Bad request",
                    Detail = "The request path may not contain '.' or '..' segments.",
                },
            });
            return;
        }

        await next(http);
    });

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
