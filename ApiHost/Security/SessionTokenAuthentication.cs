using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.Client.Tokens;

namespace OrleansSessions.ApiHost.Security;

/// <summary>
/// End users: <c>Authorization: Bearer &lt;session token&gt;</c>. The token is checked as <c>/tokens/validate</c>
/// checks it (signature, lifetime, and that its session is alive and unchanged), so logging out, rotating or ending a
/// session stops its tokens at once.
/// </summary>
internal sealed class SessionTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionTokens tokens,
    IGrainFactory grains,
    IClusterAvailability cluster)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Credentials.TryGetBearer(Request, out var token))
        {
            return AuthenticateResult.NoResult();
        }

        // The session must be asked; without the cluster that is an outage (503), not a bad token.
        if (!cluster.IsAvailable)
        {
            throw new ClusterNotConnectedException();
        }

        var result = await tokens.ValidateAsync(token, grains);
        if (!result.IsValid)
        {
            return AuthenticateResult.Fail("Invalid session token.");
        }

        var session = result.Token;
        List<Claim> claims =
        [
            new(Caller.KindClaim, Caller.EndUser),
            new(Caller.SessionClaim, session.SessionIdHash),
            new(Caller.CredentialClaim, session.UserId is { } user ? $"user:{user}" : $"session:{session.SessionIdHash}"),
        ];
        if (session.UserId is not null)
        {
            claims.Add(new Claim(Caller.SubjectClaim, session.UserId));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }
}
