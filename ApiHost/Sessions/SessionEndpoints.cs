using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using OrleansSessions.Common;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Sessions;

/// <summary>Request to create a session. Attribute values are any JSON.</summary>
public sealed record CreateSessionRequest(
    string? UserId,
    Dictionary<string, JsonElement>? Attributes,
    int? IdleTimeoutSeconds,
    int? AbsoluteLifetimeSeconds,
    string? ClientInfo);

/// <summary>Request to bind a user to a session (login).</summary>
public sealed record LoginRequest(string? UserId);

/// <summary>A session as the API shows it; the ETag header carries <see cref="Version"/>.</summary>
public sealed record SessionResponse(
    string Id,
    string? UserId,
    IReadOnlyDictionary<string, JsonElement> Attributes,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastAccessAt,
    DateTimeOffset IdleExpiresAt,
    DateTimeOffset AbsoluteExpiresAt,
    DateTimeOffset ExpiresAt,
    long Version)
{
    public static SessionResponse From(string sessionId, SessionView view) => new(
        sessionId,
        view.UserId,
        view.Attributes.ToDictionary(a => a.Key, a => JsonDocument.Parse(a.Value).RootElement.Clone()),
        view.CreatedAt,
        view.LastAccessAt,
        view.IdleExpiresAt,
        view.AbsoluteExpiresAt,
        view.ExpiresAt,
        view.Version);
}

internal static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder routes)
    {
        var sessions = routes.MapGroup("/sessions").WithTags("Sessions");

        sessions.MapPost("", async (CreateSessionRequest body, HttpContext http, IGrainFactory grains) =>
        {
            var request = new SessionCreate(
                body.UserId,
                (body.Attributes ?? []).ToImmutableDictionary(a => a.Key, a => a.Value.GetRawText()),
                Seconds(body.IdleTimeoutSeconds, "idleTimeoutSeconds"),
                Seconds(body.AbsoluteLifetimeSeconds, "absoluteLifetimeSeconds"),
                body.ClientInfo ?? http.Request.Headers.UserAgent.ToString());
            var id = SessionIds.New();
            var view = await grains.GetSessionGrain(id).CreateAsync(request);
            return Session(http, id, view, StatusCodes.Status201Created);
        }).WithSummary("Creates a session (201, Location, ETag).");

        var session = sessions.MapGroup("/{sessionId}");

        session.MapGet("", async (string sessionId, HttpContext http, IGrainFactory grains)
            => await Grain(grains, sessionId).GetAsync() is { } view ? Session(http, sessionId, view) : throw new SessionNotFoundException())
            .WithSummary("Reads a session and slides its idle deadline. Unknown, ended and malformed ids are all 404.");

        session.MapPut("/attributes/{key}", async (string sessionId, string key, JsonElement value, HttpContext http, IGrainFactory grains)
            => Session(http, sessionId, await Grain(grains, sessionId).SetAttributeAsync(key, value.GetRawText(), IfMatch(http))))
            .WithSummary("Sets one attribute to any JSON value. If-Match with a stale ETag: 412.");

        session.MapDelete("/attributes/{key}", async (string sessionId, string key, HttpContext http, IGrainFactory grains)
            => Session(http, sessionId, await Grain(grains, sessionId).RemoveAttributeAsync(key, IfMatch(http))))
            .WithSummary("Removes one attribute.");

        session.MapPatch("", async (JsonElement patch, string sessionId, HttpContext http, IGrainFactory grains)
            => Session(http, sessionId, await Grain(grains, sessionId).PatchAsync(patch.GetRawText(), IfMatch(http))))
            .Accepts<JsonElement>("application/merge-patch+json", "application/json")
            .WithSummary("Applies an RFC 7396 JSON merge patch to the attributes, all or nothing.");

        session.MapDelete("", async (string sessionId, IGrainFactory grains)
            => await Grain(grains, sessionId).InvalidateAsync(SessionEndReason.Invalidated)
                ? Results.NoContent()
                : throw new SessionNotFoundException())
            .WithSummary("Invalidates the session.");

        session.MapPost("/rotate", async (string sessionId, HttpContext http, IGrainFactory grains)
            => Moved(http, await Grain(grains, sessionId).RotateAsync()))
            .WithSummary("Moves the session to a new id; the old id is dead at once.");

        session.MapPost("/login", async (string sessionId, LoginRequest body, HttpContext http, IGrainFactory grains)
            => Moved(http, await Grain(grains, sessionId).BindUserAsync(body.UserId ?? throw Required("userId"))))
            .WithSummary("Binds a user to the session, rotating its id (fixation defence).");

        return routes;
    }

    public static RouteGroupBuilder MapUserSessions(this RouteGroupBuilder routes)
    {
        var users = routes.MapGroup("/users/{userId}/sessions").WithTags("Sessions");

        users.MapGet("", async (string userId, IGrainFactory grains) => await Users(grains, userId).ListAsync())
            .WithSummary("Lists the user's live sessions (id hashes, created, last access, client info).");

        users.MapDelete("", async (string userId, IGrainFactory grains)
            => Results.Ok(new { ended = await Users(grains, userId).LogoutEverywhereAsync() }))
            .WithSummary("Logs the user out everywhere.");

        users.MapDelete("/{sessionIdHash}", async (string userId, string sessionIdHash, IGrainFactory grains)
            => await Users(grains, userId).EndSessionAsync(sessionIdHash) ? Results.NoContent() : throw new SessionNotFoundException())
            .WithSummary("Ends one of the user's sessions, named by its id hash.");

        return routes;
    }

    /// <summary>A malformed id is answered exactly like an unknown one, so ids cannot be probed.</summary>
    private static ISessionGrain Grain(IGrainFactory grains, string sessionId)
        => SessionIds.IsWellFormed(sessionId) ? grains.GetSessionGrain(sessionId) : throw new SessionNotFoundException();

    private static IUserSessionsGrain Users(IGrainFactory grains, string userId)
    {
        Identifiers.Validate(userId, "userId");
        return grains.GetGrain<IUserSessionsGrain>(userId);
    }

    private static IResult Session(HttpContext http, string sessionId, SessionView view, int status = StatusCodes.Status200OK)
    {
        http.Response.Headers.ETag = ETag(view.Version);
        http.Response.Headers.CacheControl = "no-store";
        var body = SessionResponse.From(sessionId, view);
        return status == StatusCodes.Status201Created
            ? TypedResults.Created($"/sessions/{sessionId}", body)
            : TypedResults.Ok(body);
    }

    private static IResult Moved(HttpContext http, RotatedSession rotated) => Session(http, rotated.SessionId, rotated.Session);

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

    private static TimeSpan? Seconds(int? seconds, string field) => seconds switch
    {
        null => null,
        > 0 => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new DomainValidationException(field, $"'{field}' must be a positive number of seconds."),
    };

    private static DomainValidationException Required(string field) => new(field, $"'{field}' is required.");
}
