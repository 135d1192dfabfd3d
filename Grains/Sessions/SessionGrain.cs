using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Common.Expiry;

namespace OrleansSessions.Sessions;

public sealed partial class SessionGrain(
    [PersistentState("sessions.session", StorageNames.State)] IPersistentState<SessionState> session,
    IOptions<SessionOptions> options,
    IEventPublisher publisher,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<SessionGrain> logger)
    : ReleasedWhenEmptyGrain(session), ISessionGrain
{
    private readonly SessionOptions limits = options.Value;

    /// <summary>Last access in memory: reads slide it without writing; it is persisted now and then (see <see cref="SlideDue"/>).</summary>
    private DateTimeOffset lastAccess;

    private DeferredWrite? slideWriter;

    /// <summary>While a change is being stored: the state before it, which interleaved peeks see.</summary>
    private SessionState? beforeWrite;

    /// <summary>Finishes an ended session's follow-up steps (user index, events) in a turn of its own.</summary>
    private DeferredWrite? finisher;

    /// <summary>The hash of the session id: the only form of the id the cluster holds.</summary>
    private string Key => this.GetPrimaryKeyString();

    private bool Exists => session.RecordExists && !session.State.Ended;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        lastAccess = session.State.LastAccessAt;
        NormalizeStoredAttributes();

        // Steps stored by an activation that died before finishing them (events to publish, the user index to
        // tell) run now, in a turn of their own: an activation never waits on the user index.
        if (session.RecordExists && !session.State.LegacyOutbox.IsEmpty)
        {
            session.State = session.State with
            {
                LegacyOutbox = [],
                Events = session.State.LegacyOutbox.Aggregate(session.State.Events, (outbox, e) => outbox.Raise(e.SessionIdHash, e, e.At, e.CorrelationId, e.EventId)),
            };
        }

        if (session.RecordExists && (!session.State.Events.Pending.IsEmpty || session.State.IndexStep is not null))
        {
            (finisher ??= new(this, FinishAsync)).Request();
        }

        return Task.CompletedTask;
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
                await this.CommitAsync(session, session.State with { LastAccessAt = lastAccess }, reloadWhenUnknown: false);
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
            Events = Raise(EventOutbox.Empty, Event(SessionEventKind.Created, request.UserId)),
        };

        // Both before the session is stored, and at once (neither needs the other): the per-user limit, so a refused
        // session is never stored; and the sweep, which may visit a session that never came to be, but never misses
        // one that did.
        var registered = created.UserId is { } user ? Users(user).RegisterAsync(Key, Entry(created)) : Task.CompletedTask;
        var filed = Expiry.ScheduleAsync(GrainFactory, this.GetGrainId(), created.ExpiresAt(now));
        try
        {
            // A refusal by the index is what the caller hears, even when filing failed too.
            await Task.WhenAll(registered, filed);
            await CommitSessionAsync(created);
        }
        catch (Exception e) when (created.UserId is { } bound && registered.IsCompletedSuccessfully
                                  && !(filed.IsCompletedSuccessfully && e is StoreOutcomeUnknownException))
        {
            // Listed but not stored: give the slot back. (When the session's own write has an unknown outcome it may
            // exist; an entry whose session does not is dropped by the index's limit check.) The original failure is
            // what the caller hears.
            await TryAsync(() => Users(bound).UnregisterAsync(Key), "unregister a session that was not created");
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
    {
        // Interleaves with a change in flight: shows the last stored state, never one not yet acknowledged.
        var state = beforeWrite ?? session.State;
        var alive = session.RecordExists && !state.Ended && time.GetUtcNow() < state.ExpiresAt(lastAccess);
        return Task.FromResult(alive ? View(state) : null);
    }

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

        await EndAsync(reason, session.State.UserId is { } user ? SessionIndexStep.Unregister(user) : null);
        return true;
    }

    public async Task EndForUserAsync(string userId, SessionEndReason reason)
    {
        if (Exists)
        {
            // Expired or not, it ends now, for the reason the index gave.
            await EndAsync(reason, SessionIndexStep.ConfirmEnded(userId));
            return;
        }

        // Gone already (or a tombstone): finish what is left and tell the index, which stops re-sending.
        await FinishAsync();
        await TryAsync(() => Users(userId).ConfirmEndedAsync(Key), "confirm an end to the user index");
    }

    public Task EndForUserOneWayAsync(string userId, SessionEndReason reason) => EndForUserAsync(userId, reason);

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

        // A rotation that took longer than the session had left: nothing to adopt (and no deadline the sweep has passed).
        if (predecessor.AbsoluteExpiresAt <= now)
        {
            throw new SessionNotFoundException();
        }

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
        await CommitSessionAsync(adopted);
        lastAccess = now;
        return View();
    }

    public async Task<DateTimeOffset?> ExpireIfDueAsync()
    {
        if (!Exists)
        {
            // A tombstone still here has steps left; the sweep comes back for it until they are done.
            await FinishAsync();
            return session.RecordExists ? time.GetUtcNow().AddMinutes(1) : null;
        }

        if (time.GetUtcNow() < session.State.ExpiresAt(lastAccess))
        {
            return session.State.ExpiresAt(lastAccess);
        }

        await EndAsync(SessionEndReason.Expired, session.State.UserId is { } user ? SessionIndexStep.Unregister(user) : null);
        return session.RecordExists ? time.GetUtcNow().AddMinutes(1) : null;
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
            await EndAsync(SessionEndReason.Expired, session.State.UserId is { } user ? SessionIndexStep.Unregister(user) : null);
        }
        catch (Exception e) when (e is StoreUnavailableException or StoreOutcomeUnknownException or Orleans.Storage.InconsistentStateException)
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
        await CommitSessionAsync(session.State with
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
    /// Rotation: the successor is stored under a fresh id first; then this id ends, its tombstone holding the user
    /// index's move as a step to finish (retried from the tombstone until done). If this id cannot end, the successor
    /// is ended again, so the session never lives on under two ids. If the index no longer lists this id (the user
    /// logged out everywhere meanwhile), the move is refused, the successor ends too, and the rotation is a 404.
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
        SessionView view;
        try
        {
            view = await successor.AdoptAsync(View() with { UserId = user });
            var rotated = Event(SessionEventKind.Rotated, user) with { NewSessionIdHash = nextKey };
            ImmutableArray<SessionEvent> events = boundNow ? [rotated, Event(SessionEventKind.UserBound, user) with { NewSessionIdHash = nextKey }] : [rotated];
            await StoreEndAsync(SessionEndReason.Rotated, events, user is null ? null : SessionIndexStep.Move(user, nextKey));
        }
        catch when (!session.State.Ended)
        {
            // This id still holds the session: undo what the rotation did elsewhere, never hiding why it failed.
            await TryAsync(() => successor.InvalidateAsync(SessionEndReason.Rotated), "end the successor of a failed rotation");
            if (boundNow)
            {
                await TryAsync(() => Users(newUser!).UnregisterAsync(Key), "unregister a failed login");
            }

            throw;
        }

        if (await FinishAsync() == IndexStepOutcome.Refused)
        {
            throw new SessionNotFoundException();
        }

        return new RotatedSession(nextId, view);
    }

    /// <summary>Ends the session: the deciding tombstone is stored, then the follow-up steps run (and are retried if they fail).</summary>
    private async Task EndAsync(SessionEndReason reason, SessionIndexStep? step)
    {
        var kind = reason switch
        {
            SessionEndReason.Expired => SessionEventKind.Expired,
            SessionEndReason.LoggedOutEverywhere => SessionEventKind.LoggedOutEverywhere,
            _ => SessionEventKind.Invalidated,
        };
        await StoreEndAsync(reason, [Event(kind, session.State.UserId)], step);
        await FinishAsync();
    }

    /// <summary>
    /// Stores the tombstone: the session has ended from here on, whatever happens next. Its events join the outbox
    /// (never replace what is still waiting there), and the user index step it still owes is stored with it.
    /// </summary>
    private async Task StoreEndAsync(SessionEndReason reason, ImmutableArray<SessionEvent> events, SessionIndexStep? step)
    {
        await CommitSessionAsync(session.State with { Ended = true, Events = events.Aggregate(session.State.Events, Raise), IndexStep = step });
        LogEnded(logger, Key, reason);
    }

    /// <summary>
    /// The follow-up steps of a stored change: the user index step a tombstone owes, then its events; an ended
    /// session's row is deleted once both are done. Never throws: what fails stays stored and is retried (the next
    /// activation, the next change, or the sweep, which comes back to a tombstone every minute).
    /// </summary>
    private async Task<IndexStepOutcome> FinishAsync()
    {
        var outcome = IndexStepOutcome.Done;
        if (session.RecordExists && session.State.IndexStep is { } step)
        {
            try
            {
                outcome = await RunAsync(step);
                session.State = session.State with { IndexStep = null };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStepNotDone(logger, Key, step.Kind, LogText.Escape(e.Message));
                outcome = IndexStepOutcome.Failed;
                await TryAsync(() => Expiry.ScheduleAsync(GrainFactory, this.GetGrainId(), time.GetUtcNow().AddMinutes(1)), "file a tombstone for a retry");
            }
        }

        await PublishOutboxAsync();
        return outcome;
    }

    private async Task<IndexStepOutcome> RunAsync(SessionIndexStep step)
    {
        var index = Users(step.UserId);
        switch (step.Kind)
        {
            case SessionIndexStepKind.Unregister:
                await index.UnregisterAsync(Key);
                return IndexStepOutcome.Done;

            case SessionIndexStepKind.ConfirmEnded:
                await index.ConfirmEndedAsync(Key);
                return IndexStepOutcome.Done;

            default:
                if (await index.MoveAsync(Key, step.ToSessionIdHash!))
                {
                    return IndexStepOutcome.Done;
                }

                // Unlisted meanwhile: the session must not live on under the new id either.
                await GrainFactory.GetGrain<ISessionGrain>(step.ToSessionIdHash!).EndForUserAsync(step.UserId, SessionEndReason.Invalidated);
                return IndexStepOutcome.Refused;
        }
    }

    /// <summary>
    /// Publishes stored events; then an ended session with no step left has its row deleted. Never throws: what is
    /// not published stays in the outbox for the next try (activation, the next change, or the expiry sweep).
    /// </summary>
    private async Task PublishOutboxAsync()
    {
        if (!session.RecordExists)
        {
            return;
        }

        // Emptied in memory only; the next write stores it (a re-publish after a crash is a duplicate that consumers
        // drop by event id).
        session.State = session.State with { Events = await publisher.PublishPendingAsync(session.State.Events, Key, logger) };
        if (!session.State.Events.Pending.IsEmpty)
        {
            return;
        }

        if (session.State.Ended && session.State.IndexStep is null)
        {
            try
            {
                await this.ClearAsync(session);
                DeactivateOnIdle();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTombstoneNotDeleted(logger, Key, LogText.Escape(e.Message));
            }
        }
    }

    /// <summary>A compensation or follow-up that must not hide the failure the caller is about to hear (or a success).</summary>
    private async Task TryAsync(Func<Task> step, string what)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStepFailed(logger, Key, what, LogText.Escape(e.Message));
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
            await this.CommitAsync(session, session.State with { LastAccessAt = lastAccess }, reloadWhenUnknown: false);
        }
        catch (Exception e) when (e is StoreUnavailableException or StoreOutcomeUnknownException or Orleans.Storage.InconsistentStateException)
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

    /// <summary>Stores a change, keeping the state it replaces visible to interleaved peeks until it is stored.</summary>
    private async Task CommitSessionAsync(SessionState next)
    {
        beforeWrite = session.State;
        try
        {
            await this.CommitAsync(session, next);
        }
        finally
        {
            beforeWrite = null;
        }
    }

    private SessionView View() => View(session.State);

    private SessionView View(SessionState state) => new(
        Key,
        state.UserId,
        state.Attributes,
        state.CreatedAt,
        lastAccess,
        lastAccess + state.IdleTimeout,
        state.AbsoluteExpiresAt,
        state.Version,
        state.ClientInfo,
        state.SecurityStamp);

    private SessionEvent Event(SessionEventKind kind, string? userId)
        => new(Guid.NewGuid(), kind, Key, userId, time.GetUtcNow(), Correlation.Id, null);

    /// <summary>Appends a session event to the outbox; the envelope keeps the event's own id.</summary>
    private static EventOutbox Raise(EventOutbox outbox, SessionEvent e) => outbox.Raise(e.SessionIdHash, e, e.At, e.CorrelationId, e.EventId);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: user index step {Step} not done yet, will retry: {Reason}")]
    private static partial void LogStepNotDone(ILogger logger, string sessionHash, SessionIndexStepKind step, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: could not {What}: {Reason}")]
    private static partial void LogStepFailed(ILogger logger, string sessionHash, string what, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: ended, its row not deleted yet, will retry: {Reason}")]
    private static partial void LogTombstoneNotDeleted(ILogger logger, string sessionHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: {Count} stored attribute(s) cannot be served and were set aside")]
    private static partial void LogAttributesSetAside(ILogger logger, string sessionHash, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: idle slide kept in memory, not persisted: {Reason}")]
    private static partial void LogSlideNotPersisted(ILogger logger, string sessionHash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: idle slide not stored on deactivation; the stored deadline stays earlier: {ExceptionType}: {Reason}")]
    private static partial void LogSlideLostOnDeactivation(ILogger logger, string sessionHash, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionHash}: idle slide stored, but the user's session list keeps the older last access: {ExceptionType}: {Reason}")]
    private static partial void LogUserIndexNotTouched(ILogger logger, string sessionHash, string exceptionType, string reason);
}
