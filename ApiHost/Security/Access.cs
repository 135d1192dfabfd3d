using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http.Metadata;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Security;

/// <summary>Which end user, if any, may call a route without scopes: the one whose resource the route names.</summary>
public enum Owner
{
    /// <summary>Services only; a session token is refused (403).</summary>
    None,

    /// <summary>The holder of the session named by the route's <c>{sessionId}</c>.</summary>
    Session,

    /// <summary>The user named by the route's <c>{userId}</c>.</summary>
    User,

    /// <summary>Any end user; the endpoint itself checks that what it answers is theirs (an order's user) and else answers 404.</summary>
    CheckedByEndpoint,

    /// <summary>Any end user: data that belongs to nobody (stock and prices).</summary>
    AnyEndUser,
}

/// <summary>
/// A route's access rule: a service needs every one of <see cref="Scopes"/>; an end user needs to be its
/// <see cref="Owner"/>. Another user's resource is answered exactly like an unknown one (404), so ids are not confirmed.
/// </summary>
internal sealed record AccessRule(Owner Owner, IReadOnlyList<string> Scopes) : IAuthorizationRequirement
{
    public string Describe()
    {
        var services = $"services with {string.Join(" and ", Scopes)}";
        return Owner switch
        {
            Owner.Session => $"Access: {services}; end users: their own session.",
            Owner.User => $"Access: {services}; end users: their own user id.",
            Owner.CheckedByEndpoint => $"Access: {services}; end users: their own only.",
            Owner.AnyEndUser => $"Access: {services}; any end user.",
            _ => $"Access: {services}; end users: none.",
        };
    }
}

internal static class Access
{
    /// <summary>
    /// Declares who may call the routes of <paramref name="builder"/> (a group or one route), and documents the
    /// answers that come with it: 401 with WWW-Authenticate, 403, 429 with Retry-After, and 404 for another user's resource.
    /// </summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, Owner owner, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder
    {
        var rule = new AccessRule(owner, scopes);
        builder.RequireAuthorization(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(rule).Build());
        builder.WithMetadata(rule);
        List<int> statuses = [StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests];
        if (owner is Owner.Session or Owner.User or Owner.CheckedByEndpoint)
        {
            statuses.Add(StatusCodes.Status404NotFound);
        }

        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ApiProblem), [ApiContract.ProblemJson]));
        }

        builder.WithMetadata(new ResponseHeaderMetadata(StatusCodes.Status401Unauthorized, "WWW-Authenticate", "The schemes this API takes (Bearer; ApiKey in X-Api-Key)."));
        return builder;
    }

    /// <summary>For checks only an endpoint can make (a body member that needs more than the route's rule).</summary>
    /// <exception cref="ForbiddenException">The caller is not a service with <paramref name="scope"/>.</exception>
    public static void Demand(HttpContext http, string scope, string what)
    {
        if (!http.User.HasScope(scope))
        {
            throw new ForbiddenException($"{what} needs a service credential with the scope '{scope}'.");
        }
    }
}

/// <summary>Why a caller was refused; the result handler turns it into 403 or 404.</summary>
internal sealed class AccessFailure(IAuthorizationHandler handler, string message, Owner? notOwnerOf = null)
    : AuthorizationFailureReason(handler, message)
{
    /// <summary>Set when an end user named someone else's resource: answered 404, like an unknown one.</summary>
    public Owner? NotOwnerOf { get; } = notOwnerOf;
}

internal sealed class AccessHandler : AuthorizationHandler<AccessRule>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessRule requirement)
    {
        var user = context.User;
        if (user.IsService())
        {
            if (requirement.Scopes.All(user.HasScope))
            {
                context.Succeed(requirement);
            }
            else
            {
                var missing = requirement.Scopes.Where(s => !user.HasScope(s)).ToList();
                context.Fail(new AccessFailure(this, $"This route needs a credential with the scope{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(s => $"'{s}'"))}."));
            }
        }
        else if (user.IsEndUser())
        {
            var route = (context.Resource as HttpContext)?.Request.RouteValues;
            var owns = requirement.Owner switch
            {
                Owner.CheckedByEndpoint or Owner.AnyEndUser => true,
                Owner.Session => route?["sessionId"] is string id && SessionIds.IsWellFormed(id)
                    && string.Equals(SessionIds.Hash(id), user.SessionIdHash(), StringComparison.Ordinal),
                Owner.User => route?["userId"] is string userId && string.Equals(userId, user.UserId(), StringComparison.Ordinal),
                _ => false,
            };
            if (owns)
            {
                context.Succeed(requirement);
            }
            else if (requirement.Owner == Owner.None)
            {
                context.Fail(new AccessFailure(this, "This route is for services: a session token cannot call it."));
            }
            else
            {
                context.Fail(new AccessFailure(this, "Not the caller's own.", requirement.Owner));
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Refusals as problem documents, through the exception handler like every other client error: no credential (or a
/// bad one) is 401, a missing scope 403, and another user's resource the 404 an unknown one gets.
/// </summary>
internal sealed class AccessResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            throw new UnauthenticatedException(credentialGiven: Credentials.WereGiven(context.Request));
        }

        if (authorizeResult.Forbidden)
        {
            var failure = authorizeResult.AuthorizationFailure?.FailureReasons.OfType<AccessFailure>().FirstOrDefault();
            throw failure?.NotOwnerOf switch
            {
                Owner.Session => new SessionNotFoundException(),
                Owner.User => new UserNotFoundException(),
                _ => new ForbiddenException(failure?.Message ?? "This credential may not call this route."),
            };
        }

        return fallback.HandleAsync(next, context, policy, authorizeResult);
    }
}

/// <summary>No credential, or one that is not valid (401).</summary>
internal sealed class UnauthenticatedException(bool credentialGiven)
    : Exception(credentialGiven ? "The credential is not valid or has expired." : "This route needs a credential: an API key (X-Api-Key) or a bearer token.")
{
    public bool CredentialGiven { get; } = credentialGiven;
}

/// <summary>A valid credential without the right to call the route (403).</summary>
internal sealed class ForbiddenException(string message) : Exception(message);

/// <summary>An end user named another user: answered like a resource that does not exist (404).</summary>
internal sealed class UserNotFoundException() : Exception("No such resource.");
