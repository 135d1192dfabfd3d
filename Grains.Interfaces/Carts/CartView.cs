using System.Collections.Immutable;

namespace OrleansSessions.Carts;

[GenerateSerializer]
[Immutable]
[Alias("carts.CartLine")]
public sealed record CartLine([property: Id(0)] string Sku, [property: Id(1)] int Quantity);

/// <summary>
/// What a caller sees of a cart: its lines in the order they were first added, a version that grows with every change,
/// and what did not fit when another cart was last merged into it (reported, never dropped silently).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("carts.CartView")]
public sealed record CartView(
    [property: Id(0)] string CartId,
    [property: Id(1)] ImmutableArray<CartLine> Lines,
    [property: Id(2)] long Version,
    [property: Id(3)] ImmutableArray<CartLine> NotMerged);
