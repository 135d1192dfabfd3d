using System.Collections.Immutable;
using OrleansSessions.Common.Events;

namespace OrleansSessions.Orders;

/// <summary>What the saga does next. Values are stored: never renumber them.</summary>
public enum SagaPhase
{
    Reserve = 0,
    Authorize = 1,
    Capture = 2,
    Commit = 3,

    /// <summary>Undo in reverse order: void or refund the payment, release the stock.</summary>
    Compensate = 4,
    Done = 5,
}

/// <summary>The stored saga: stored after every step, so a new activation (another silo) continues where it stood.</summary>
[GenerateSerializer]
[Immutable]
[Alias("orders.OrderSagaState.v1")]
public sealed record OrderSagaState
{
    [Id(0)]
    public string UserId { get; init; } = "";

    [Id(1)]
    public string PaymentMethod { get; init; } = "";

    [Id(2)]
    public string RequestHash { get; init; } = "";

    [Id(3)]
    public ImmutableArray<OrderLine> Lines { get; init; } = [];

    [Id(4)]
    public OrderStatus Status { get; init; }

    [Id(5)]
    public string? Reason { get; init; }

    [Id(6)]
    public long Total { get; init; }

    [Id(7)]
    public string? Currency { get; init; }

    [Id(8)]
    public DateTimeOffset PlacedAt { get; init; }

    [Id(9)]
    public DateTimeOffset UpdatedAt { get; init; }

    [Id(10)]
    public ImmutableArray<SagaStep> History { get; init; } = [];

    [Id(11)]
    public SagaPhase Phase { get; init; }

    /// <summary>Failed attempts of the current phase.</summary>
    [Id(12)]
    public int Attempt { get; init; }

    /// <summary>The payment may hold an authorization: compensation voids it.</summary>
    [Id(13)]
    public bool Authorized { get; init; }

    /// <summary>The payment was captured: compensation refunds it.</summary>
    [Id(14)]
    public bool Captured { get; init; }

    /// <summary>SKUs whose stock this order may hold: compensation releases them.</summary>
    [Id(15)]
    public ImmutableArray<string> Reserved { get; init; } = [];

    [Id(16)]
    public EventOutbox Events { get; init; } = EventOutbox.Empty;
}
