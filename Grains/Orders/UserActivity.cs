using System.Collections.Immutable;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Sessions;

namespace OrleansSessions.Orders;

[GenerateSerializer]
[Immutable]
[Alias("orders.UserActivityState.v1")]
public sealed record UserActivityState
{
    /// <summary>Newest first.</summary>
    [Id(0)]
    public ImmutableArray<ActivityEntry> Entries { get; init; } = [];
}

public sealed class UserActivityGrain(
    [PersistentState("orders.user-activity", StorageNames.State)] IPersistentState<UserActivityState> activity)
    : ReleasedWhenEmptyGrain(activity), IUserActivityGrain
{
    public Task<ImmutableArray<ActivityEntry>> ListAsync() => Task.FromResult(activity.State.Entries);

    public Task RecordAsync(EventEnvelope envelope, string what)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (activity.State.Entries.Any(e => e.EventId == envelope.EventId))
        {
            return Task.CompletedTask;
        }

        var entries = activity.State.Entries.Insert(0, new ActivityEntry(envelope.EventId, envelope.Type, envelope.AggregateId, what, envelope.At))
            .Sort((a, b) => b.At.CompareTo(a.At));
        if (entries.Length > IUserActivityGrain.MaxEntries)
        {
            entries = entries.RemoveRange(IUserActivityGrain.MaxEntries, entries.Length - IUserActivityGrain.MaxEntries);
        }

        return this.CommitAsync(activity, activity.State with { Entries = entries });
    }
}

/// <summary>Session and order events feed each user's activity.</summary>
public sealed class UserActivityReaction(string context) : IEventReaction
{
    public string Name => $"activity.{context}";

    public string Context => context;

    public bool Handles(EventEnvelope envelope) => Describe(envelope) is not null;

    public Task HandleAsync(EventEnvelope envelope, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var (user, what) = Describe(envelope) ?? throw new InvalidOperationException($"Unexpected {envelope?.Type}.");
        return grains.GetGrain<IUserActivityGrain>(user).RecordAsync(envelope!, what);
    }

    private static (string User, string What)? Describe(EventEnvelope? envelope) => envelope?.Payload switch
    {
        SessionEvent { UserId: { } user } session => (user, $"session {session.Kind}"),
        OrderPlaced placed => (placed.UserId, "order placed"),
        OrderConfirmed confirmed => (confirmed.UserId, $"order confirmed ({confirmed.Total} {confirmed.Currency})"),
        OrderCancelled cancelled => (cancelled.UserId, $"order cancelled: {cancelled.Reason}"),
        OrderCompensationFailed failed => (failed.UserId, "order needs an operator"),
        _ => null,
    };
}
