using System.Collections.Immutable;

namespace OrleansSessions.Carts;

/// <summary>The persisted cart. Immutable: a change builds a new state, which replaces the old one only once it is stored.</summary>
[GenerateSerializer]
[Immutable]
[Alias("carts.CartState.v1")]
public sealed record CartState
{
    [Id(0)]
    public ImmutableArray<CartLine> Lines { get; init; } = [];

    [Id(1)]
    public long Version { get; init; }
}
