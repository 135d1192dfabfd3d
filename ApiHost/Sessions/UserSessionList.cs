using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Sessions;

/// <summary>
/// A user's session list, composed at the edge: the index knows which sessions the user has, each session knows its
/// own last access (the index only hears of it when a slide is persisted). The sessions are asked in parallel, each
/// with its own deadline; one that does not answer in time is listed with the index's value, one that has ended is
/// left out.
/// </summary>
internal static class UserSessionList
{
    /// <summary>Per-session deadline: a busy or unreachable session costs the list at most this.</summary>
    private static readonly TimeSpan PerSessionTimeout = TimeSpan.FromSeconds(1);

    public static async Task<IReadOnlyList<UserSessionResponse>> ReadAsync(IGrainFactory grains, IUserSessionsGrain index)
    {
        var entries = await index.ListAsync();
        var current = await Task.WhenAll(entries.Select(entry => CurrentAsync(grains, entry)));
        return [.. current.OfType<UserSessionResponse>()];
    }

    private static async Task<UserSessionResponse?> CurrentAsync(IGrainFactory grains, UserSessionEntry entry)
    {
        var session = await PartialAnswer<SessionView?>.WithinAsync(() => grains.GetGrain<ISessionGrain>(entry.SessionIdHash).PeekAsync(), PerSessionTimeout);
        return session switch
        {
            { Answered: true, Value: null } => null,
            { Answered: true, Value: { } view } => new UserSessionResponse(entry.SessionIdHash, entry.CreatedAt, view.LastAccessAt, entry.ClientInfo),

            // The index's value stands in for a session that did not answer.
            _ => new UserSessionResponse(entry.SessionIdHash, entry.CreatedAt, entry.LastAccessAt, entry.ClientInfo),
        };
    }
}
