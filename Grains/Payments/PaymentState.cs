using OrleansSessions.Common.Events;

namespace OrleansSessions.Payments;

/// <summary>The persisted payment. Immutable: a change builds a new state, which replaces the old one only once it is stored.</summary>
[GenerateSerializer]
[Immutable]
[Alias("payments.PaymentState.v1")]
public sealed record PaymentState
{
    [Id(0)]
    public PaymentStatus Status { get; init; }

    [Id(1)]
    public PaymentRequest? Request { get; init; }

    [Id(2)]
    public string? AuthorizationId { get; init; }

    [Id(3)]
    public string? Reason { get; init; }

    /// <summary>Facts raised by the outcomes stored so far and not yet known to be published.</summary>
    [Id(4)]
    public EventOutbox Events { get; init; } = EventOutbox.Empty;
}
