using Microsoft.Net.Http.Headers;

namespace OrleansSessions.ApiHost.Security;

/// <summary>Where callers put their credential, and the authentication schemes that read it.</summary>
internal static class Credentials
{
    /// <summary>The scheme that picks one of the others by what the request carries.</summary>
    public const string Scheme = "OrleansSessions";

    public const string ApiKeyScheme = "ApiKey";

    public const string SessionTokenScheme = "SessionToken";

    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The challenges of a 401: the token types and the API key header this API takes.</summary>
    public const string Challenge = $"Bearer realm=\"orleanssessions\", ApiKey realm=\"orleanssessions\", header=\"{ApiKeyHeader}\"";

    public const string InvalidTokenChallenge = "Bearer realm=\"orleanssessions\", error=\"invalid_token\"";

    public static bool WereGiven(HttpRequest request)
        => request.Headers.ContainsKey(ApiKeyHeader) || request.Headers.ContainsKey(HeaderNames.Authorization);

    /// <summary>The token of an <c>Authorization: Bearer …</c> header.</summary>
    public static bool TryGetBearer(HttpRequest request, out string token)
    {
        token = "";
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        token = value["Bearer ".Length..].Trim();
        return token.Length > 0;
    }
}
