using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using OrleansSessions.Common;

namespace OrleansSessions.Sessions;

[GenerateSerializer]
[Immutable]
[Alias("sessions.UserSessionsState.v1")]
public sealed record UserSessionsState
{
    /// <summary>Live sessions by session id (the id never leaves this grain; callers see hashes).</summary>
    [Id(0)]
    public ImmutableDictionary<string, UserSessionEntry> Sessions { get; init; } = ImmutableDictionary<string, UserSessionEntry>.Empty;
}

public sealed class UserSessionsGrain(
    [PersistentState("sessions.user-sessions", StorageNames.State)] IPersistentState<UserSessionsState> index,
    IOptions<SessionOptions> options)
    : Grain, IUserSessionsGrain
{
    private readonly SessionOptions limits = options.Value;

    public Task<ImmutableArray<UserSessionEntry>> ListAsync()
        => Task.FromResult(index.State.Sessions.Values.OrderBy(e => e.CreatedAt).ToImmutableArray());

    public async Task<int> LogoutEverywhereAsync()
    {
        var ended = index.State.Sessions.Keys.ToArray();
        await this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Clear() });
        await EndSessionsAsync(ended, SessionEndReason.LoggedOutEverywhere);
        return ended.Length;
    }

    public async Task<bool> EndSessionAsync(string sessionIdHash)
    {
        var match = index.State.Sessions.FirstOrDefault(s => s.Value.SessionIdHash == sessionIdHash);
        if (match.Key is null)
        {
            return false;
        }

        await this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(match.Key) });
        await EndSessionsAsync([match.Key], SessionEndReason.Invalidated);
        return true;
    }

    public async Task RegisterAsync(string sessionId, UserSessionEntry entry)
    {
        var sessions = index.State.Sessions;
        if (sessions.ContainsKey(sessionId))
        {
            return;
        }

        string? evicted = null;
        if (sessions.Count >= limits.MaxSessionsPerUser)
        {
            if (limits.LimitPolicy == SessionLimitPolicy.Reject)
            {
                throw new TooManySessionsException(limits.MaxSessionsPerUser);
            }

            evicted = sessions.MinBy(s => s.Value.LastAccessAt).Key;
            sessions = sessions.Remove(evicted);
        }

        await this.CommitAsync(index, index.State with { Sessions = sessions.Add(sessionId, entry) });
        if (evicted is not null)
        {
            await EndSessionsAsync([evicted], SessionEndReason.Evicted);
        }
    }

    public Task UnregisterAsync(string sessionId)
        => index.State.Sessions.ContainsKey(sessionId)
            ? this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(sessionId) })
            : Task.CompletedTask;

    public Task MoveAsync(string fromSessionId, string toSessionId)
    {
        if (!index.State.Sessions.TryGetValue(fromSessionId, out var entry))
        {
            return Task.CompletedTask;
        }

        var moved = entry with { SessionIdHash = SessionIds.Hash(toSessionId) };
        return this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(fromSessionId).Add(toSessionId, moved) });
    }

    public Task TouchAsync(string sessionId, DateTimeOffset lastAccessAt)
        => index.State.Sessions.TryGetValue(sessionId, out var entry) && entry.LastAccessAt < lastAccessAt
            ? this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.SetItem(sessionId, entry with { LastAccessAt = lastAccessAt }) })
            : Task.CompletedTask;

    /// <summary>
    /// Ends sessions this index has already dropped. A session may call back into this grain while ending
    /// (to unregister, a no-op by then), so the call chain is allowed to re-enter.
    /// </summary>
    private async Task EndSessionsAsync(IEnumerable<string> sessionIds, SessionEndReason reason)
    {
        using var reentrancy = RequestContext.AllowCallChainReentrancy();
        await Task.WhenAll(sessionIds.Select(id => GrainFactory.GetGrain<ISessionGrain>(id).InvalidateAsync(reason)));
    }
}
