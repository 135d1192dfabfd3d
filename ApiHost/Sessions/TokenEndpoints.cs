using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Client.Tokens;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Sessions;

/// <summary>Request to validate a session token.</summary>
public sealed record ValidateSessionTokenRequest([property: Required] string? Token);

internal static class TokenEndpoints
{
    public static RouteGroupBuilder MapSessionTokens(this RouteGroupBuilder routes)
    {
        // An unknown, ended or malformed id throws SessionNotFoundException: the same 404 as every other session endpoint.
        // Issuing: the session's holder or services with sessions:write; validating: services with sessions:read.
        routes.MapPost("/sessions/{sessionId}/token", async (string sessionId, HttpContext http, SessionTokens tokens, IGrainFactory grains) =>
            {
                var issued = await tokens.IssueAsync(sessionId, grains);
                NoStore(http);
                return TypedResults.Ok(issued);
            })
            .WithTags("Session tokens")
            .RequireAccess(Owner.Session, Scopes.SessionsWrite)
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithNoStore()
            .WithSummary("Issues a signed token (JWT) for the session; it expires with the session at the latest.");

        routes.MapPost("/tokens/validate", async Task<Results<Ok<ValidatedSessionToken>, ProblemHttpResult>> (
                HttpContext http, SessionTokens tokens, IGrainFactory grains) =>
            {
                var body = await JsonBody.ReadAsync<ValidateSessionTokenRequest>(http.Request);
                var token = JsonBody.Required(body.Token, "token");
                var result = await tokens.ValidateAsync(token, grains);
                if (result.IsValid)
                {
                    NoStore(http);
                    return TypedResults.Ok(result.Token);
                }

                // One answer for every reason (the reason is logged at Debug): a forger learns nothing from it.
                http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status401Unauthorized,
                    title: "Invalid token",
                    detail: "The token is not valid, has expired, or its session has ended or changed.");
            })
            .WithTags("Session tokens")
            .RequireAccess(Owner.None, Scopes.SessionsRead)
            .RequireRateLimiting(RateLimits.SensitivePolicy)
            .AcceptsJson<ValidateSessionTokenRequest>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType)
            .WithResponseHeader(StatusCodes.Status401Unauthorized, "WWW-Authenticate", "Bearer error=\"invalid_token\".")
            .WithNoStore()
            .WithSummary("Validates a session token: signature, issuer, audience, expiry, and that its session is alive and unchanged.");

        return routes;
    }

    /// <summary>
    /// A token is a credential, and what validation answers is about one user's session: no cache may keep either.
    /// Set here, not left to the API's default (SecurityHeaders), so that it holds whatever the default becomes.
    /// </summary>
    private static void NoStore(HttpContext http) => http.Response.Headers.CacheControl = "no-store";

    private static RouteHandlerBuilder WithNoStore(this RouteHandlerBuilder builder)
        => builder.WithResponseHeader(StatusCodes.Status200OK, "Cache-Control", "no-store: a token, or what it proves, is private to its holder.");
}
