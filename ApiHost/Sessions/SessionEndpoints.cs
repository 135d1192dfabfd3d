using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Common;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Sessions;

internal static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder routes)
    {
        // Who may call what in this context. Services: creation needs sessions:write (and sessions:admin to bind a user),
        // reads sessions:read, changes sessions:write, login sessions:admin. End users: their own session only.
        var sessions = routes.MapGroup("/sessions").WithTags("Sessions").RequireAccess(Owner.None, Scopes.SessionsWrite);
        var reads = routes.MapGroup("/sessions/{sessionId}").WithTags("Sessions").RequireAccess(Owner.Session, Scopes.SessionsRead);
        var session = routes.MapGroup("/sessions/{sessionId}").WithTags("Sessions").RequireAccess(Owner.Session, Scopes.SessionsWrite);
        var binding = routes.MapGroup("/sessions/{sessionId}").WithTags("Sessions").RequireAccess(Owner.None, Scopes.SessionsAdmin);

        sessions.MapPost("", async (HttpContext http, IGrainFactory grains) =>
        {
            // No body is an empty request: every field is optional.
            var body = await JsonBody.ReadAsync<CreateSessionRequest>(http.Request, CreateSessionRequest.EnclosingLevels, whenAbsent: "{}");
            if (body.UserId is not null)
            {
                Access.Demand(http, Scopes.SessionsAdmin, "Binding a user to a session");
            }

            var id = SessionIds.New();
            var view = await grains.GetSessionGrain(id).CreateAsync(body.ToCommand(http.Request.Headers.UserAgent));
            return Session(http, id, view, StatusCodes.Status201Created);
        })
            .RequireRateLimiting(RateLimits.SensitivePolicy)
            .WithSummary("Creates a session (201, Location, ETag); with userId it needs sessions:admin too.")
            .AcceptsOptionalJson<CreateSessionRequest>()
            .ProducesSession(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        reads.MapGet("", async (string sessionId, HttpContext http, IGrainFactory grains)
            => await Grain(grains, sessionId).GetAsync() is { } view ? Session(http, sessionId, view) : throw new SessionNotFoundException())
            .WithSummary("Reads a session and slides its idle deadline. Unknown, ended and malformed ids are all 404.")
            .ProducesSession()
            .ProducesProblems(StatusCodes.Status404NotFound);

        session.MapPut("/attributes/{key}", async (string sessionId, string key, HttpContext http, IGrainFactory grains) =>
        {
            var grain = Grain(grains, sessionId);
            AttributeKeys.Validate(key);
            var expected = IfMatch(http);
            var value = await JsonBody.ReadRequiredAsync(http.Request);
            return Session(http, sessionId, await grain.SetAttributeAsync(key, value, expected));
        })
            .WithSummary("Sets one attribute to any JSON value. If-Match with a stale ETag: 412.")
            .AcceptsJson<JsonElement>()
            .ProducesSession(ifMatch: true)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        session.MapDelete("/attributes/{key}", async (string sessionId, string key, HttpContext http, IGrainFactory grains) =>
        {
            var grain = Grain(grains, sessionId);
            AttributeKeys.Validate(key);
            return Session(http, sessionId, await grain.RemoveAttributeAsync(key, IfMatch(http)));
        })
            .WithSummary("Removes one attribute (removing an absent one changes nothing but the version).")
            .ProducesSession(ifMatch: true)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        session.MapPatch("", async (string sessionId, HttpContext http, IGrainFactory grains) =>
        {
            var grain = Grain(grains, sessionId);
            var expected = IfMatch(http);
            var patch = await JsonBody.ReadRequiredAsync(http.Request, enclosingLevels: 1, JsonBody.MergePatchJson, JsonBody.Json);
            return Session(http, sessionId, await grain.PatchAsync(patch, expected));
        })
            .WithSummary("Applies an RFC 7396 JSON merge patch to the attributes, all or nothing.")
            .AcceptsJson<Dictionary<string, JsonElement>>(JsonBody.MergePatchJson, JsonBody.Json)
            .ProducesSession(ifMatch: true)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        session.MapDelete("", async (string sessionId, IGrainFactory grains)
            => await Grain(grains, sessionId).InvalidateAsync(SessionEndReason.Invalidated)
                ? Results.NoContent()
                : throw new SessionNotFoundException())
            .WithSummary("Invalidates the session.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status404NotFound);

        session.MapPost("/rotate", async (string sessionId, HttpContext http, IGrainFactory grains)
            => Moved(http, await Grain(grains, sessionId).RotateAsync()))
            .WithSummary("Moves the session to a new id; the old id is dead at once.")
            .ProducesSession()
            .ProducesProblems(StatusCodes.Status404NotFound);

        binding.MapPost("/login", async (string sessionId, HttpContext http, IGrainFactory grains) =>
        {
            var grain = Grain(grains, sessionId);
            var body = await JsonBody.ReadAsync<LoginRequest>(http.Request);
            var userId = JsonBody.Required(body.UserId, "userId");
            Identifiers.Validate(userId, "userId");
            return Moved(http, await grain.BindUserAsync(userId));
        })
            .WithSummary("Binds a user to the session, rotating its id (fixation defence).")
            .AcceptsJson<LoginRequest>()
            .ProducesSession()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

        return routes;
    }

    public static RouteGroupBuilder MapUserSessions(this RouteGroupBuilder routes)
    {
        // A user's sessions: services with sessions:admin only (listing, logging out everywhere).
        var users = routes.MapGroup("/users/{userId}/sessions").WithTags("Sessions").RequireAccess(Owner.None, Scopes.SessionsAdmin);

        users.MapGet("", async (string userId, IGrainFactory grains) => await UserSessionList.ReadAsync(grains, Users(grains, userId)))
            .WithSummary("Lists the user's live sessions (id hashes, created, current last access, client info).")
            .Produces<IReadOnlyList<UserSessionResponse>>()
            .ProducesProblems(StatusCodes.Status400BadRequest);

        users.MapDelete("", async (string userId, IGrainFactory grains) =>
        {
            Identifiers.Validate(userId, "userId");
            return new LogoutEverywhereResponse(await grains.LogoutEverywhereAsync(userId));
        })
            .WithSummary("Logs the user out everywhere.")
            .Produces<LogoutEverywhereResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest);

        users.MapDelete("/{sessionIdHash}", async (string userId, string sessionIdHash, IGrainFactory grains) =>
        {
            Identifiers.Validate(userId, "userId");
            return await grains.EndUserSessionAsync(userId, sessionIdHash) ? Results.NoContent() : throw new SessionNotFoundException();
        })
            .WithSummary("Ends one of the user's sessions, named by its id hash.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        return routes;
    }

    /// <summary>A malformed id is answered exactly like an unknown one, so ids cannot be probed.</summary>
    private static ISessionGrain Grain(IGrainFactory grains, string sessionId)
        => SessionIds.IsWellFormed(sessionId) ? grains.GetSessionGrain(sessionId) : throw new SessionNotFoundException();

    private static IUserSessionsGrain Users(IGrainFactory grains, string userId)
    {
        Identifiers.Validate(userId, "userId");
        return StringKeyedGrains.Get<IUserSessionsGrain>(grains, userId);
    }

    private static JsonHttpResult<SessionResponse> Session(HttpContext http, string sessionId, SessionView view, int status = StatusCodes.Status200OK)
    {
        http.Response.Headers.ETag = ETag(view.Version);
        http.Response.Headers.CacheControl = "no-store";
        if (status == StatusCodes.Status201Created)
        {
            http.Response.Headers.Location = $"/sessions/{sessionId}";
        }

        return TypedResults.Json(SessionResponse.From(sessionId, view), http.RequestServices.GetRequiredService<SessionResponseJson>().TypeInfo, statusCode: status);
    }

    /// <summary>A session body with its ETag (and Location when created); If-Match honoured when <paramref name="ifMatch"/>.</summary>
    private static RouteHandlerBuilder ProducesSession(this RouteHandlerBuilder builder, int status = StatusCodes.Status200OK, bool ifMatch = false)
    {
        builder.Produces<SessionResponse>(status)
            .WithResponseHeader(status, "ETag", "The session's version, for If-Match.")
            .WithResponseHeader(status, "Cache-Control", "no-store: a session is private to its holder.");
        if (status == StatusCodes.Status201Created)
        {
            builder.WithResponseHeader(status, "Location", "/sessions/{id} of the new session.");
        }

        return ifMatch ? builder.WithIfMatch() : builder;
    }

    private static JsonHttpResult<SessionResponse> Moved(HttpContext http, RotatedSession rotated) => Session(http, rotated.SessionId, rotated.Session);

    private static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The version an If-Match header requires: none without the header or with <c>*</c>.</summary>
    private static long? IfMatch(HttpContext http)
    {
        var header = http.Request.Headers.IfMatch;
        if (header.Count == 0)
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseList(header, out var tags) || tags.Count != 1)
        {
            throw new DomainValidationException("If-Match", "If-Match must hold one ETag as returned by this API.");
        }

        if (tags[0] == EntityTagHeaderValue.Any)
        {
            return null;
        }

        // A tag that is not one of ours can never match: the precondition fails.
        return long.TryParse(tags[0].Tag.AsSpan().Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && !tags[0].IsWeak
            ? version
            : -1;
    }
}
