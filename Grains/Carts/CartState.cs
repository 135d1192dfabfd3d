using System.Collections.Immutable;

namespace OrleansSessions.Carts;

/// <summary>The persisted cart. Immutable: a change builds a new state, which replaces the old one only once it is stored.</summary>
[GenerateSerializer]
[Immutable]
[Alias("carts.CartState.v1")]
public sealed record CartState
{
    /// <summary>Event ids and idempotency keys remembered, the most recent this many.</summary>
    public const int Remembered = 64;

    [Id(0)]
    public ImmutableArray<CartLine> Lines { get; init; } = [];

    [Id(1)]
    public long Version { get; init; }

    /// <summary>Ids of the events already applied (merge, clear, remove ordered), oldest first.</summary>
    [Id(2)]
    public ImmutableArray<Guid> AppliedEvents { get; init; } = [];

    /// <summary>Adds made with an Idempotency-Key, oldest first.</summary>
    [Id(3)]
    public ImmutableArray<IdempotentAdd> Adds { get; init; } = [];

    /// <summary>What did not fit the last merge into this cart.</summary>
    [Id(4)]
    public ImmutableArray<CartLine> NotMerged { get; init; } = [];

    public bool HasApplied(Guid eventId) => AppliedEvents.Contains(eventId);

    public CartState Applied(Guid eventId) => this with { AppliedEvents = Recent(AppliedEvents.Add(eventId)) };

    public static ImmutableArray<T> Recent<T>(ImmutableArray<T> items)
        => items.Length > Remembered ? items.RemoveRange(0, items.Length - Remembered) : items;
}

/// <summary>An add made under an Idempotency-Key: a retry with the key is recognised, a different request with it refused.</summary>
[GenerateSerializer]
[Immutable]
[Alias("carts.IdempotentAdd.v1")]
public sealed record IdempotentAdd([property: Id(0)] string Key, [property: Id(1)] string Sku, [property: Id(2)] int Quantity);
