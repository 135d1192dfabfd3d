using Microsoft.AspNetCore.Http.Features;

namespace OrleansSessions.ApiHost.Infrastructure;

internal static class OversizeBodies
{
    /// <summary>
    /// A body declared larger than the limit is never read whole: answered without reading it (401, 404, 415…), Kestrel
    /// then closes the connection rather than drain it, after a response that said keep-alive, and a client's next request
    /// on that connection gets no answer (found by the HTTP fuzz). <c>Connection: close</c> says so up front.
    /// </summary>
    public static IApplicationBuilder UseConnectionCloseForOversizeBodies(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        // HTTP/2 and 3 reset the one stream instead and have no Connection header.
        if (http.Request.ContentLength > http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize
            && (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol)))
        {
            http.Response.OnStarting(
                static response =>
                {
                    ((HttpResponse)response).Headers.Connection = "close";
                    return Task.CompletedTask;
                },
                http.Response);
        }

        return next(http);
    });
}
