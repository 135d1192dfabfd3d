using System.Security.Claims;
using OrleansSessions.Client.Tokens;

namespace OrleansSessions.ApiHost.Security;

/// <summary>Who is calling, as the authentication handlers described them.</summary>
internal static class Caller
{
    /// <summary>Set on every principal this API authenticates; its value is the kind of caller.</summary>
    public const string KindClaim = "orleanssessions:caller";

    public const string Service = "service";

    public const string EndUser = "end-user";

    /// <summary>The session id hash of an end user's session token.</summary>
    public const string SessionClaim = SessionTokens.SessionIdClaim;

    /// <summary>The user of an end user's session token.</summary>
    public const string SubjectClaim = SessionTokens.UserIdClaim;

    /// <summary>One per scope a service holds, whatever claim its credential carried them in (set at authentication).</summary>
    public const string ScopeClaim = "orleanssessions:scope";

    /// <summary>The credential's name (API key name, or the token's client id), for rate limits and logs; never a secret.</summary>
    public const string CredentialClaim = "orleanssessions:credential";

    public static bool IsEndUser(this ClaimsPrincipal user) => user.HasClaim(KindClaim, EndUser);

    public static bool IsService(this ClaimsPrincipal user) => user.HasClaim(KindClaim, Service);

    /// <summary>The end user's session id hash; <see langword="null"/> for services.</summary>
    public static string? SessionIdHash(this ClaimsPrincipal user) => user.IsEndUser() ? user.FindFirst(SessionClaim)?.Value : null;

    /// <summary>The end user's user id; <see langword="null"/> for services and anonymous sessions.</summary>
    public static string? UserId(this ClaimsPrincipal user) => user.IsEndUser() ? user.FindFirst(SubjectClaim)?.Value : null;

    public static bool HasScope(this ClaimsPrincipal user, string scope) => user.IsService() && user.HasClaim(ScopeClaim, scope);
}
