using OrleansSessions.Common;

namespace OrleansSessions.Carts;

/// <summary>The cart's input rules, shared by the grain (which enforces them) and hosts (which report them early).</summary>
public static class CartRules
{
    public const int MinQuantity = 1;
    public const int MaxQuantity = 999;
    public const int MaxLines = 100;

    public static void ValidateQuantity(int quantity, string field = "quantity")
    {
        if (quantity is < MinQuantity or > MaxQuantity)
        {
            throw new DomainValidationException(field, $"'{field}' must be between {MinQuantity} and {MaxQuantity}.");
        }
    }
}
