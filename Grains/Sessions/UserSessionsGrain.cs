using System.Collections.Immutable;
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
        if (!index.State.Sessions.ContainsKey(sessionIdHash))
        {
            return false;
        }

        await this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(sessionIdHash) });
        await EndSessionsAsync([sessionIdHash], SessionEndReason.Invalidated);
        return true;
    }

    public async Task RegisterAsync(string sessionIdHash, UserSessionEntry entry)
    {
        var sessions = index.State.Sessions;
        if (sessions.ContainsKey(sessionIdHash))
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

        await this.CommitAsync(index, index.State with { Sessions = sessions.Add(sessionIdHash, entry) });
        if (evicted is not null)
        {
            await EndSessionsAsync([evicted], SessionEndReason.Evicted);
        }
    }

    public Task UnregisterAsync(string sessionIdHash)
        => index.State.Sessions.ContainsKey(sessionIdHash)
            ? this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(sessionIdHash) })
            : Task.CompletedTask;

    public Task MoveAsync(string fromSessionIdHash, string toSessionIdHash)
    {
        if (!index.State.Sessions.TryGetValue(fromSessionIdHash, out var entry))
        {
            return Task.CompletedTask;
        }

        var moved = entry with { SessionIdHash = toSessionIdHash };
        return this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.Remove(fromSessionIdHash).Add(toSessionIdHash, moved) });
    }

    public Task TouchAsync(string sessionIdHash, DateTimeOffset lastAccessAt)
        => index.State.Sessions.TryGetValue(sessionIdHash, out var entry) && entry.LastAccessAt < lastAccessAt
            ? this.CommitAsync(index, index.State with { Sessions = index.State.Sessions.SetItem(sessionIdHash, entry with { LastAccessAt = lastAccessAt }) })
            : Task.CompletedTask;

    /// <summary>
    /// Ends sessions this index has already dropped. A session may call back into this grain while ending
    /// (to unregister, a no-op by then), so the call chain is allowed to re-enter.
    /// </summary>
    private async Task EndSessionsAsync(IEnumerable<string> sessionIdHashes, SessionEndReason reason)
    {
        using var reentrancy = RequestContext.AllowCallChainReentrancy();
        await Task.WhenAll(sessionIdHashes.Select(key => GrainFactory.GetGrain<ISessionGrain>(key).InvalidateAsync(reason)));
    }
}
