namespace OrleansSessions.ApiHost.Infrastructure;

internal static class SecurityHeaders
{
    /// <summary>
    /// On every response, errors included: browsers must not sniff a JSON answer into something executable, and no
    /// answer is cached by default (sessions, carts and orders are private to their holder).
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(static response =>
        {
            var headers = ((HttpResponse)response).Headers;
            headers.XContentTypeOptions = "nosniff";
            if (headers.CacheControl.Count == 0)
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        }, http.Response);
        return next(http);
    });
}
