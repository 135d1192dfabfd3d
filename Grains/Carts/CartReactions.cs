using Microsoft.Extensions.Logging;
using OrleansSessions.Common.Events;
using OrleansSessions.Sessions;

namespace OrleansSessions.Carts;

/// <summary>
/// Carts react to the Sessions context's events (choreography: Sessions never calls Carts): an anonymous cart follows
/// its session to a new id, merges into the user's cart when the session is bound to a user, and is emptied when the
/// session ends.
/// </summary>
public sealed class SessionCartReaction : IEventReaction
{
    public string Name => "carts.session-carts";

    public string Context => SessionEvent.StreamNamespace;

    public bool Handles(EventEnvelope envelope)
        => envelope?.Payload is SessionEvent { Kind: not SessionEventKind.Created };

    public Task HandleAsync(EventEnvelope envelope, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(grains);
        var session = (SessionEvent)envelope.Payload;
        return session switch
        {
            { Kind: SessionEventKind.UserBound, UserId: { } user, NewSessionIdHash: { } bound }
                => grains.GetGrain<ICartGrain>(CartKeys.User(user)).MergeFromAsync(CartKeys.Session(bound), envelope.EventId),
            { Kind: SessionEventKind.Rotated, NewSessionIdHash: { } next }
                => grains.GetGrain<ICartGrain>(CartKeys.Session(next)).MergeFromAsync(CartKeys.Session(session.SessionIdHash), envelope.EventId),
            { Kind: SessionEventKind.Expired or SessionEventKind.Invalidated or SessionEventKind.LoggedOutEverywhere }
                => grains.GetGrain<ICartGrain>(CartKeys.Session(session.SessionIdHash)).ClearAsync(envelope.EventId),
            _ => Task.CompletedTask,
        };
    }
}

/// <summary>One partition of the Sessions context's events, for the contexts that react to them.</summary>
[ImplicitStreamSubscription(SessionEvent.StreamNamespace)]
public sealed class SessionEventsConsumerGrain(IEnumerable<IEventReaction> reactions, IDeadLetterStore deadLetters, ILogger<SessionEventsConsumerGrain> logger)
    : EventConsumerGrain(reactions, deadLetters, logger)
{
    protected override string Context => SessionEvent.StreamNamespace;
}
