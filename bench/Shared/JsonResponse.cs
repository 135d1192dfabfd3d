namespace OrleansSessions.Bench;

/// <summary>How the benchmark apps answer: a JSON body of known length, never cached (as the API host answers sessions).</summary>
internal static class JsonResponse
{
    public static Task WriteAsync(HttpContext http, int status, ReadOnlyMemory<byte> body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentLength = body.Length;
        return http.Response.Body.WriteAsync(body).AsTask();
    }
}
