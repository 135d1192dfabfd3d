using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSessions.Common;
using OrleansSessions.Common.Expiry;

namespace OrleansSessions.Sessions;

public sealed partial class SessionGrain(
    [PersistentState("sessions.session", StorageNames.State)] IPersistentState<SessionState> session,
    IOptions<SessionOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<SessionGrain> logger)
    : Grain, ISessionGrain
{
    private readonly SessionOptions limits = options.Value;

    /// <summary>Last access in memory: reads slide it without writing; it is persisted now and then (see <see cref="SlideDue"/>).</summary>
    private DateTimeOffset lastAccess;

    private DeferredWrite? slideWriter;

    /// <summary>The hash of the session id: the only form of the id the cluster holds.</summary>
    private string Key => this.GetPrimaryKeyString();

    private bool Exists => session.RecordExists && !session.State.Ended;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        lastAccess = session.State.LastAccessAt;
        NormalizeStoredAttributes();

        // Events stored by an activation that died before publishing them go out now.
        await PublishOutboxAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (!Exists || lastAccess <= session.State.LastAccessAt)
        {
            return;
        }

        // Best effort: a slide not stored only lets the session expire early by what it slid since the last stored one.
        try
        {
            if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
            {
                // A silo shutting down deactivates all its grains and places no new ones (the last silo nowhere at all),
                // so the user's index may not be reachable: store the session's own slide only; the index's last access
                // catches up with the next stored slide.
                await this.CommitAsync(session, session.State with { LastAccessAt = lastAccess });
            }
            else
            {
                await TryPersistSlideAsync();
            }
        }
        catch (Exception e)
        {
            LogSlideLostOnDeactivation(logger, Key, e.GetType().Name, e.Message);
        }
    }

    public async Task<SessionView> CreateAsync(SessionCreate request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (session.RecordExists)
        {
            throw new InvalidOperationException("A session with this id exists already.");
        }

        var now = time.GetUtcNow();
        var idle = Bounded(request.IdleTimeout ?? limits.DefaultIdleTimeout, limits.MinIdleTimeout, limits.MaxIdleTimeout, "idleTimeoutSeconds");
        var lifetime = Bounded(request.AbsoluteLifetime ?? limits.DefaultAbsoluteLifetime, limits.MinIdleTimeout, limits.MaxAbsoluteLifetime, "absoluteLifetimeSeconds");
        if (request.UserId is not null)
        {
            Identifiers.Validate(request.UserId, "userId");
        }

        var attributes = CheckBudgets((request.Attributes ?? ImmutableDictionary<string, string>.Empty).Aggregate(
            ImmutableDictionary<string, string>.Empty,
            (all, a) => all.SetItem(AttributeKeys.Validate(a.Key, "attributes"), CheckValue(a.Value, $"attributes.{a.Key}"))));
        var created = new SessionState
        {
            UserId = request.UserId,
            Attributes = attributes,
            CreatedAt = now,
            LastAccessAt = now,
            IdleTimeout = idle,
            AbsoluteExpiresAt = now + lifetime,
            Version = 1,
            ClientInfo = SessionClientInfo.Normalize(request.ClientInfo),
            SecurityStamp = 1,
            Outbox = [Event(SessionEventKind.Created, request.UserId)],
        };

        // The per-user limit is checked before anything is stored, so a refused session leaves no trace.
        if (created.UserId is { } user)
        {
            await Users(user).RegisterAsync(Key, Entry(created));
        }

        try
        {
            // Filed with the sweep before it is stored: the sweep may visit a session that never came to be, but
            // never misses one that did.
            await Expiry.ScheduleAsync(GrainFactory, this.GetGrainId(), created.ExpiresAt(now));
            await this.CommitAsync(session, created);
        }
        catch
        {
            if (created.UserId is { } registered)
            {
                await Users(registered).UnregisterAsync(Key);
            }

            throw;
        }

        lastAccess = now;
        await PublishOutboxAsync();
        return View();
    }

    public async Task<SessionView?> GetAsync()
    {
        if (!await IsAliveAsync())
        {
            return null;
        }

        lastAccess = time.GetUtcNow();
        if (SlideDue())
        {
            (slideWriter ??= new(this, TryPersistSlideAsync)).Request();
        }

        return View();
    }

    public Task<SessionView?> PeekAsync()
        => Task.FromResult(Exists && time.GetUtcNow() < session.State.ExpiresAt(lastAccess) ? View() : null);

    public Task<SessionView> SetAttributeAsync(string key, string json, long? expectedVersion)
    {
        // Checked before the session is touched: a refused value changes nothing, not even the idle deadline.
        var value = CheckValue(json, "");
        AttributeKeys.Validate(key);
        return ChangeAttributesAsync(expectedVersion, attributes => attributes.SetItem(key, value));
    }

    public Task<SessionView> RemoveAttributeAsync(string key, long? expectedVersion)
    {
        AttributeKeys.Validate(key);
        return ChangeAttributesAsync(expectedVersion, attributes => attributes.Remove(key));
    }

    public Task<SessionView> PatchAsync(string mergePatch, long? expectedVersion)
    {
        ArgumentNullException.ThrowIfNull(mergePatch);
        if (JsonNode.Parse(CanonicalJson.Canonicalize(mergePatch, "", enclosingLevels: 1).OrThrow()) is not JsonObject patch)
        {
            throw new DomainValidationException("body", "A merge patch must be a JSON object of attribute names.");
        }

        foreach (var (key, _) in patch)
        {
            AttributeKeys.Validate(key, "body");
        }

        return ChangeAttributesAsync(expectedVersion, attributes =>
        {
            foreach (var (key, value) in patch)
            {
                attributes = value is null
                    ? attributes.Remove(key)
                    : attributes.SetItem(key, CheckValue(JsonMergePatch.Apply(StoredNode(attributes, key), value)!.ToJsonString(), key));
            }

            return attributes;
        });
    }

    public async Task<bool> InvalidateAsync(SessionEndReason reason)
    {
        if (!await IsAliveAsync())
        {
            return false;
        }

        var kind = reason == SessionEndReason.LoggedOutEverywhere ? SessionEventKind.LoggedOutEverywhere : SessionEventKind.Invalidated;
        await EndAsync(reason, Event(kind, session.State.UserId));
        return true;
    }

    public Task<RotatedSession> RotateAsync() => MoveToNewIdAsync(newUser: null);

    public Task<RotatedSession> BindUserAsync(string userId)
    {
        Identifiers.Validate(userId, "userId");
        if (session.State.UserId is { } bound && bound != userId && Exists)
        {
            throw new DomainValidationException("userId", "The session is bound to another user; end it and create a new one.");
        }

        return MoveToNewIdAsync(userId);
    }

    public async Task<SessionView> AdoptAsync(SessionView predecessor)
    {
        ArgumentNullException.ThrowIfNull(predecessor);
        if (session.RecordExists)
        {
            throw new InvalidOperationException("A session with this id exists already.");
        }

        var now = time.GetUtcNow();
        var adopted = new SessionState
        {
            UserId = predecessor.UserId,
            Attributes = predecessor.Attributes,
            CreatedAt = predecessor.CreatedAt,
            LastAccessAt = now,
            IdleTimeout = predecessor.IdleExpiresAt - predecessor.LastAccessAt,
            AbsoluteExpiresAt = predecessor.AbsoluteExpiresAt,
            Version = predecessor.Version + 1,
            ClientInfo = predecessor.ClientInfo,
            SecurityStamp = predecessor.SecurityStamp + 1,
        };
        await Expiry.ScheduleAsync(GrainFactory, this.GetGrainId(), adopted.ExpiresAt(now));
        await this.CommitAsync(session, adopted);
        lastAccess = now;
        return View();
    }

    public async Task<DateTimeOffset?> ExpireIfDueAsync()
    {
        if (!Exists)
        {
            // A tombstone still here has events to publish; the sweep comes back for it until they are out.
            await PublishOutboxAsync();
            return session.RecordExists ? time.GetUtcNow().AddMinutes(1) : null;
        }

        if (time.GetUtcNow() < session.State.ExpiresAt(lastAccess))
        {
            return session.State.ExpiresAt(lastAccess);
        }

        await EndAsync(SessionEndReason.Expired, Event(SessionEventKind.Expired, session.State.UserId));
        return null;
    }

    /// <summary>Alive, or ends it now when a deadline has passed (expired sessions read as gone at once).</summary>
    private async Task<bool> IsAliveAsync()
    {
        if (!Exists)
        {
            return false;
        }

        if (time.GetUtcNow() < session.State.ExpiresAt(lastAccess))
        {
            return true;
        }

        try
        {
            await EndAsync(SessionEndReason.Expired, Event(SessionEventKind.Expired, session.State.UserId));
        }
        catch (StoreUnavailableException e)
        {
            // Expired is expired, store or no store: it reads as gone now, and the sweep deletes it later.
            LogExpiryNotStored(logger, Key, LogText.Escape(e.Message));
        }

        return false;
    }

    private async Task<SessionView> ChangeAttributesAsync(
        long? expectedVersion, Func<ImmutableDictionary<string, string>, ImmutableDictionary<string, string>> change)
    {
        if (!await IsAliveAsync())
        {
            throw new SessionNotFoundException();
        }

        if (expectedVersion is { } expected && expected != session.State.Version)
        {
            throw new SessionVersionMismatchException(expected, session.State.Version);
        }

        var now = time.GetUtcNow();
        var attributes = CheckBudgets(change(session.State.Attributes));
        await this.CommitAsync(session, session.State with
        {
            Attributes = attributes,
            Version = session.State.Version + 1,
            LastAccessAt = now,
        });
        lastAccess = now;
        await PublishOutboxAsync();
        return View();
    }

    /// <summary>
    /// Rotation: the successor is stored under a fresh id first; only then does this id end (its row deleted). If ending
    /// fails, the successor is ended again, so the session lives under exactly one id whatever fails.
    /// </summary>
    private async Task<RotatedSession> MoveToNewIdAsync(string? newUser)
    {
        if (!await IsAliveAsync())
        {
            throw new SessionNotFoundException();
        }

        var user = newUser ?? session.State.UserId;
        var boundNow = newUser is not null && session.State.UserId != newUser;
        if (boundNow)
        {
            await Users(newUser!).RegisterAsync(Key, Entry(session.State));
        }

        var nextId = SessionIds.New();
        var nextKey = SessionIds.Hash(nextId);
        var successor = GrainFactory.GetGrain<ISessionGrain>(nextKey);
        SessionView? view = null;
        try
        {
            view = await successor.AdoptAsync(View() with { UserId = user });
            var rotated = Event(SessionEventKind.Rotated, user) with { NewSessionIdHash = nextKey };
            ImmutableArray<SessionEvent> events = boundNow ? [rotated, Event(SessionEventKind.UserBound, user)] : [rotated];
            await EndAsync(SessionEndReason.Rotated, events, user is null ? null : () => Users(user).MoveAsync(Key, nextKey));
            return new RotatedSession(nextId, view);
        }
        catch when (!session.State.Ended)
        {
            // This id still holds the session: undo what the rotation did elsewhere.
            if (view is not null)
            {
                await successor.InvalidateAsync(SessionEndReason.Rotated);
            }

            if (boundNow)
            {
                await Users(newUser!).UnregisterAsync(Key);
            }

            throw;
        }
    }

    private Task EndAsync(SessionEndReason reason, SessionEvent ended)
        => EndAsync(reason, [ended], session.State.UserId is not { } user || reason is SessionEndReason.LoggedOutEverywhere or SessionEndReason.Evicted
            ? null // anonymous, or the user index ended it and has already dropped it
            : () => Users(user).UnregisterAsync(Key));

    /// <summary>Stores a tombstone with the events, tells the user index, publishes the events, then deletes the row.</summary>
    private async Task EndAsync(SessionEndReason reason, ImmutableArray<SessionEvent> events, Func<Task>? updateUserIndex)
    {
        await this.CommitAsync(session, session.State with { Ended = true, Outbox = events });
        LogEnded(logger, Key, reason);
        if (updateUserIndex is not null)
        {
            await updateUserIndex();
        }

        await PublishOutboxAsync();
    }

    /// <summary>
    /// Publishes stored events; on success an ended session's row is deleted. Never throws: the change that raised the
    /// events is stored either way, and what is not published stays in the outbox for the next try (activation, the
    /// next change, or the expiry sweep).
    /// </summary>
    private async Task PublishOutboxAsync()
    {
        if (!session.RecordExists || session.State.Outbox.IsEmpty)
        {
            return;
        }

        try
        {
            var provider = this.GetStreamProvider(StreamNames.Provider);
            foreach (var e in session.State.Outbox)
            {
                await provider.GetStream<SessionEvent>(StreamId.Create(SessionEvent.StreamNamespace, e.SessionIdHash)).OnNextAsync(e);
            }

            if (session.State.Ended)
            {
                await session.ClearStateAsync();
                DeactivateOnIdle();
            }
            else
            {
                // Emptied in memory only; the next write stores it (a re-publish after a crash is a duplicate that
                // consumers drop by event id).
                session.State = session.State with { Outbox = [] };
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogOutboxNotPublished(logger, Key, LogText.Escape(e.Message));
        }
    }

    private async Task TryPersistSlideAsync()
    {
        if (!Exists || lastAccess <= session.State.LastAccessAt)
        {
            return;
        }

        try
        {
            await this.CommitAsync(session, session.State with { LastAccessAt = lastAccess });
        }
        catch (Exception e) when (e is StoreUnavailableException or Orleans.Storage.InconsistentStateException)
        {
            // Availability first: the slide stays in memory and is tried again on a later read.
            LogSlideNotPersisted(logger, Key, e.Message);
            return;
        }

        if (session.State.UserId is not { } user)
        {
            return;
        }

        try
        {
            await Users(user).TouchAsync(Key, lastAccess);
        }
        catch (Exception e)
        {
            // The index's last access only orders the user's session list (and EvictOldest); the next stored slide updates it.
            LogUserIndexNotTouched(logger, Key, e.GetType().Name, e.Message);
        }
    }

    /// <summary>
    /// Values are held in canonical form (byte-equal on every read); one stored before that rule, or damaged, that
    /// cannot be made canonical is set aside rather than left to fail every read. In memory only: the next write
    /// stores the result.
    /// </summary>
    private void NormalizeStoredAttributes()
    {
        if (!Exists)
        {
            return;
        }

        var attributes = session.State.Attributes;
        var setAside = session.State.SetAside;
        foreach (var (key, value) in session.State.Attributes)
        {
            var canonical = AttributeKeys.IsValid(key) ? CanonicalJson.Canonicalize(value, key) : default;
            if (!canonical.IsAccepted)
            {
                attributes = attributes.Remove(key);
                setAside = setAside.SetItem(key, value);
            }
            else if (canonical.Json != value)
            {
                attributes = attributes.SetItem(key, canonical.Json!);
            }
        }

        if (setAside.Count != session.State.SetAside.Count)
        {
            LogAttributesSetAside(logger, Key, setAside.Count - session.State.SetAside.Count);
        }

        session.State = session.State with { Attributes = attributes, SetAside = setAside };
    }

    private bool SlideDue() => lastAccess - session.State.LastAccessAt >= session.State.IdleTimeout * limits.SlidePersistFraction;

    private SessionView View() => new(
        Key,
        session.State.UserId,
        session.State.Attributes,
        session.State.CreatedAt,
        lastAccess,
        lastAccess + session.State.IdleTimeout,
        session.State.AbsoluteExpiresAt,
        session.State.Version,
        session.State.ClientInfo,
        session.State.SecurityStamp);

    private SessionEvent Event(SessionEventKind kind, string? userId)
        => new(Guid.NewGuid(), kind, Key, userId, time.GetUtcNow(), Correlation.Id, null);

    private UserSessionEntry Entry(SessionState state) => new(Key, state.CreatedAt, state.LastAccessAt, state.ClientInfo);

    private IUserSessionsGrain Users(string userId) => GrainFactory.GetGrain<IUserSessionsGrain>(userId);

    /// <summary>A bound in the request's own terms: whole seconds, named as the HTTP field is.</summary>
    private static TimeSpan Bounded(TimeSpan value, TimeSpan min, TimeSpan max, string field)
        => value >= min && value <= max
            ? value
            : throw new DomainValidationException(
                field, $"'{field}' must be between {(long)min.TotalSeconds} and {(long)max.TotalSeconds} seconds.");

    /// <summary>Every value that enters the attributes passes here once: canonical JSON within the per-value budget.</summary>
    private string CheckValue(string json, string field)
    {
        var canonical = CanonicalJson.Canonicalize(json, field).OrThrow();
        var bytes = canonical.Length; // canonical JSON is ASCII: one byte a character
        return bytes > limits.MaxValueBytes ? throw new SessionLimitExceededException("maxValueBytes", limits.MaxValueBytes, bytes) : canonical;
    }

    /// <summary>The stored value a merge patch applies to; one that cannot be parsed is replaced, not merged into.</summary>
    private static JsonNode? StoredNode(ImmutableDictionary<string, string> attributes, string key)
    {
        if (!attributes.TryGetValue(key, out var current))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(current);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The whole-session budgets (values were checked one by one as they came in).</summary>
    private ImmutableDictionary<string, string> CheckBudgets(ImmutableDictionary<string, string> attributes)
    {
        if (attributes.Count > limits.MaxKeys)
        {
            throw new SessionLimitExceededException("maxKeys", limits.MaxKeys, attributes.Count);
        }

        var total = attributes.Sum(a => (long)Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(a.Value));
        return total > limits.MaxSessionBytes
            ? throw new SessionLimitExceededException("maxSessionBytes", limits.MaxSessionBytes, total)
            : attributes;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionHash} ended: {Reason}")]
    private static partial void LogEnded(ILogger logger, string sessionHash, SessionEndReason reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash} expired but could not be ended in the store yet; the sweep retries: {Reason}")]
    private static partial void LogExpiryNotStored(ILogger logger, string sessionHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: stored events not published yet, will retry: {Reason}")]
    private static partial void LogOutboxNotPublished(ILogger logger, string sessionHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: {Count} stored attribute(s) cannot be served and were set aside")]
    private static partial void LogAttributesSetAside(ILogger logger, string sessionHash, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: idle slide kept in memory, not persisted: {Reason}")]
    private static partial void LogSlideNotPersisted(ILogger logger, string sessionHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: idle slide not stored on deactivation; the stored deadline stays earlier: {ExceptionType}: {Reason}")]
    private static partial void LogSlideLostOnDeactivation(ILogger logger, string sessionHash, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: idle slide stored, but the user's session list keeps the older last access: {ExceptionType}: {Reason}")]
    private static partial void LogUserIndexNotTouched(ILogger logger, string sessionHash, string exceptionType, string reason);
}
