using System.Collections.Immutable;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Sessions;

/// <summary>The persisted session. A row exists only while the session lives (or, briefly, while its last events go out).</summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.SessionState.v1")]
public sealed record SessionState
{
    [Id(0)]
    public string? UserId { get; init; }

    [Id(1)]
    public ImmutableDictionary<string, string> Attributes { get; init; } = ImmutableDictionary<string, string>.Empty;

    [Id(2)]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Last access as persisted; the activation may hold a later one in memory.</summary>
    [Id(3)]
    public DateTimeOffset LastAccessAt { get; init; }

    [Id(4)]
    public TimeSpan IdleTimeout { get; init; }

    [Id(5)]
    public DateTimeOffset AbsoluteExpiresAt { get; init; }

    [Id(6)]
    public long Version { get; init; }

    [Id(7)]
    public string? ClientInfo { get; init; }

    [Id(8)]
    public long SecurityStamp { get; init; }

    /// <summary>Set when the session has ended; the row is deleted once <see cref="Outbox"/> is published.</summary>
    [Id(9)]
    public bool Ended { get; init; }

    /// <summary>Stored before events went out in envelopes; moved into <see cref="Events"/> when such a row is loaded.</summary>
    [Id(10)]
    public ImmutableArray<SessionEvent> LegacyOutbox { get; init; } = [];

    /// <summary>Events stored with the change that raised them, published after it is stored (at least once).</summary>
    [Id(13)]
    public EventOutbox Events { get; init; } = EventOutbox.Empty;

    /// <summary>
    /// Stored attributes that could not be served (written before values were canonicalized, or damaged): kept for an
    /// operator, never served, so they cannot make the session unreadable. Filled when the session is loaded.
    /// </summary>
    [Id(11)]
    public ImmutableDictionary<string, string> SetAside { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>What an ended session still owes the user index; stored with the tombstone, retried until done.</summary>
    [Id(12)]
    public SessionIndexStep? IndexStep { get; init; }

    public DateTimeOffset ExpiresAt(DateTimeOffset lastAccess)
        => lastAccess + IdleTimeout < AbsoluteExpiresAt ? lastAccess + IdleTimeout : AbsoluteExpiresAt;
}

public enum SessionIndexStepKind
{
    /// <summary>The session ended on its own (invalidated, expired): drop it from the user's list.</summary>
    Unregister,

    /// <summary>The session moved to a new id (rotation, login): move the entry; refused when the old id was unlisted meanwhile.</summary>
    Move,

    /// <summary>The index asked the session to end: confirm, so it stops re-sending.</summary>
    ConfirmEnded,
}

/// <summary>A user index call an ended session still owes, stored with its tombstone.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sessions.SessionIndexStep.v1")]
public sealed record SessionIndexStep(
    [property: Id(0)] SessionIndexStepKind Kind,
    [property: Id(1)] string UserId,
    [property: Id(2)] string? ToSessionIdHash)
{
    public static SessionIndexStep Unregister(string userId) => new(SessionIndexStepKind.Unregister, userId, null);

    public static SessionIndexStep Move(string userId, string toSessionIdHash) => new(SessionIndexStepKind.Move, userId, toSessionIdHash);

    public static SessionIndexStep ConfirmEnded(string userId) => new(SessionIndexStepKind.ConfirmEnded, userId, null);
}

/// <summary>How a tombstone's user index step went.</summary>
internal enum IndexStepOutcome
{
    Done,

    /// <summary>The move was refused (the old id was unlisted meanwhile); the new id was ended too.</summary>
    Refused,

    /// <summary>The index could not be reached; the step stays stored and is retried.</summary>
    Failed,
}
