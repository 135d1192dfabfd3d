using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSessions.Common;

namespace OrleansSessions.Sessions;

[GenerateSerializer]
[Immutable]
[Alias("sessions.UserSessionsState.v1")]
public sealed record UserSessionsState
{
    /// <summary>Live sessions by session id hash (the key of their grains).</summary>
    [Id(0)]
    public ImmutableDictionary<string, UserSessionEntry> Sessions { get; init; } = ImmutableDictionary<string, UserSessionEntry>.Empty;

    /// <summary>Sessions this index unlisted and has not yet heard have ended, with why: re-sent until confirmed.</summary>
    [Id(1)]
    public ImmutableDictionary<string, SessionEndReason> PendingEnds { get; init; } = ImmutableDictionary<string, SessionEndReason>.Empty;
}

/// <summary>
/// A user's sessions. Never waits on a session's turn (see <see cref="IUserSessionsGrain"/>): the only calls it makes
/// to sessions are one-way ends and peeks, which interleave; so a session may call it at any time, mid-rotation too.
/// </summary>
public sealed partial class UserSessionsGrain(
    [PersistentState("sessions.user-sessions", StorageNames.State)] IPersistentState<UserSessionsState> index,
    IOptions<SessionOptions> options,
    ILogger<UserSessionsGrain> logger)
    : ReleasedWhenEmptyGrain(index), IUserSessionsGrain, IRemindable
{
    private const string ResendReminder = "resend-pending-ends";

    /// <summary>How long the limit check waits for a listed session to say whether it still lives.</summary>
    private static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(1);

    private readonly SessionOptions limits = options.Value;

    private string UserId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Ends stored by an activation that died before they were confirmed go out again now.
        SendPendingEnds();
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<UserSessionEntry>> ListAsync()
        => Task.FromResult(index.State.Sessions.Values.OrderBy(e => e.CreatedAt).ToImmutableArray());

    public async Task<ImmutableArray<string>> LogoutEverywhereAsync()
    {
        var ended = index.State.Sessions.Keys.ToImmutableArray();
        await UnlistAsync(index.State.Sessions.Clear(), ended, SessionEndReason.LoggedOutEverywhere);
        return ended;
    }

    public async Task<bool> EndSessionAsync(string sessionIdHash)
    {
        if (!index.State.Sessions.ContainsKey(sessionIdHash))
        {
            return false;
        }

        await UnlistAsync(index.State.Sessions.Remove(sessionIdHash), [sessionIdHash], SessionEndReason.Invalidated);
        return true;
    }

    public async Task RegisterAsync(string sessionIdHash, UserSessionEntry entry)
    {
        if (index.State.Sessions.ContainsKey(sessionIdHash))
        {
            return;
        }

        var sessions = index.State.Sessions;
        if (sessions.Count >= limits.MaxSessionsPerUser)
        {
            // Entries whose session is gone (a create whose outcome was unknown, a lost unregister) do not count.
            sessions = await WithoutGoneAsync(sessions);
        }

        if (sessions.Count < limits.MaxSessionsPerUser)
        {
            await this.CommitAsync(index, index.State with { Sessions = sessions.Add(sessionIdHash, entry) });
            return;
        }

        if (limits.LimitPolicy == SessionLimitPolicy.Reject)
        {
            if (sessions.Count != index.State.Sessions.Count)
            {
                await this.CommitAsync(index, index.State with { Sessions = sessions });
            }

            throw new TooManySessionsException(limits.MaxSessionsPerUser);
        }

        var evicted = sessions.MinBy(s => s.Value.LastAccessAt).Key;
        await UnlistAsync(sessions.Remove(evicted).Add(sessionIdHash, entry), [evicted], SessionEndReason.Evicted);
    }

    public Task UnregisterAsync(string sessionIdHash)
        => index.State.Sessions.ContainsKey(sessionIdHash)
            ? this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(sessionIdHash) })
            : Task.CompletedTask;

    public async Task<bool> MoveAsync(string fromSessionIdHash, string toSessionIdHash)
    {
        if (index.State.Sessions.ContainsKey(toSessionIdHash))
        {
            // Already moved: a retried move.
            return true;
        }

        if (!index.State.Sessions.TryGetValue(fromSessionIdHash, out var entry))
        {
            return false;
        }

        var moved = entry with { SessionIdHash = toSessionIdHash };
        await this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(fromSessionIdHash).Add(toSessionIdHash, moved) });
        return true;
    }

    public Task TouchAsync(string sessionIdHash, DateTimeOffset lastAccessAt)
        => index.State.Sessions.TryGetValue(sessionIdHash, out var entry) && entry.LastAccessAt < lastAccessAt
            ? this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.SetItem(sessionIdHash, entry with { LastAccessAt = lastAccessAt }) })
            : Task.CompletedTask;

    public async Task ConfirmEndedAsync(string sessionIdHash)
    {
        if (!index.State.PendingEnds.ContainsKey(sessionIdHash))
        {
            return;
        }

        await this.CommitAsync(index, index.State with { PendingEnds = index.State.PendingEnds.Remove(sessionIdHash) });
        if (index.State.PendingEnds.IsEmpty && await this.GetReminder(ResendReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        SendPendingEnds();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stores the new list together with the intent to end what it no longer holds, makes sure a reminder re-sends
    /// that intent until every session confirms, and sends the ends now, one way.
    /// </summary>
    private async Task UnlistAsync(ImmutableDictionary<string, UserSessionEntry> sessions, ImmutableArray<string> ended, SessionEndReason reason)
    {
        await this.CommitAsync(index, index.State with
        {
            Sessions = sessions,
            PendingEnds = index.State.PendingEnds.SetItems(ended.Select(hash => KeyValuePair.Create(hash, reason))),
        });
        try
        {
            await this.RegisterOrUpdateReminder(ResendReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The intent is stored: the next activation re-sends it even without the reminder.
            LogReminderNotRegistered(logger, LogText.Escape(e.Message));
        }

        SendPendingEnds();
    }

    private void SendPendingEnds()
    {
        foreach (var (hash, reason) in index.State.PendingEnds)
        {
            _ = GrainFactory.GetGrain<ISessionGrain>(hash).EndForUserOneWayAsync(UserId, reason);
        }
    }

    /// <summary>The entries whose session still lives; one that does not answer in time counts as alive.</summary>
    private async Task<ImmutableDictionary<string, UserSessionEntry>> WithoutGoneAsync(ImmutableDictionary<string, UserSessionEntry> sessions)
    {
        var alive = await Task.WhenAll(sessions.Keys.Select(async hash =>
        {
            try
            {
                var view = await GrainFactory.GetGrain<ISessionGrain>(hash).PeekAsync().WaitAsync(PeekTimeout);
                return (hash, alive: view is not null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (hash, alive: true);
            }
        }));
        return sessions.RemoveRange(alive.Where(a => !a.alive).Select(a => a.hash));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User index: the reminder that re-sends pending session ends was not registered; the next activation re-sends them: {Reason}")]
    private static partial void LogReminderNotRegistered(ILogger logger, string reason);
}
