using Microsoft.Extensions.Logging;
using OrleansSessions.Common.Events;
using OrleansSessions.Sessions;

namespace OrleansSessions.Carts;

/// <summary>
/// Carts react to the Sessions context's events (choreography: Sessions never calls Carts): an anonymous cart follows
/// its session to a new id, merges into the user's cart when the session is bound to a user, and ends (deleted, its
/// activation gone) with its session.
/// </summary>
public sealed class SessionCartReaction : IEventReaction
{
    public string Name => "carts.session-carts";

    public string Context => SessionEvent.StreamNamespace;

    public bool Handles(EventEnvelope envelope)
        => envelope?.Payload is SessionEvent { Kind: not SessionEventKind.Created };

    public async Task HandleAsync(EventEnvelope envelope, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(grains);
        var session = (SessionEvent)envelope.Payload;
        var ownKey = CartKeys.Session(session.SessionIdHash);
        var own = grains.GetGrain<ICartGrain>(ownKey);
        switch (session)
        {
            case { Kind: SessionEventKind.UserBound, UserId: { } user, NewSessionIdHash: { } bound }:
                // The session lives on under the bound id: its emptied cart keeps the event id until the session ends.
                await grains.GetGrain<ICartGrain>(CartKeys.User(user)).MergeFromAsync(CartKeys.Session(bound), envelope.EventId);
                break;
            case { Kind: SessionEventKind.Rotated, NewSessionIdHash: { } next }:
                // The old id is dead: once its lines are stored under the new id, its cart ends.
                await grains.GetGrain<ICartGrain>(CartKeys.Session(next)).MergeFromAsync(ownKey, envelope.EventId);
                await own.EndAsync();
                break;
            case { Kind: SessionEventKind.Expired or SessionEventKind.Invalidated or SessionEventKind.LoggedOutEverywhere }:
                await own.EndAsync();
                break;
        }
    }
}

/// <summary>One partition of the Sessions context's events, for the contexts that react to them.</summary>
[ImplicitStreamSubscription(SessionEvent.StreamNamespace)]
public sealed class SessionEventsConsumerGrain(IEnumerable<IEventReaction> reactions, IDeadLetterStore deadLetters, ILogger<SessionEventsConsumerGrain> logger)
    : EventConsumerGrain(reactions, deadLetters, logger)
{
    protected override string Context => SessionEvent.StreamNamespace;
}
