using System.Text.RegularExpressions;
using OrleansSessions.Common;

namespace OrleansSessions.Inventory;

/// <summary>The inventory's input rules, shared by the grain (which enforces them) and hosts (which report them early).</summary>
public static partial class InventoryRules
{
    /// <summary>Units one SKU holds at most; with <see cref="MaxUnitPrice"/> any quantity × price fits in a long.</summary>
    public const int MaxOnHand = 1_000_000;

    /// <summary>Integer minor units (cents for USD): 10^12, so <see cref="MaxOnHand"/> × price stays far below <see cref="long.MaxValue"/>.</summary>
    public const long MaxUnitPrice = 1_000_000_000_000;

    /// <summary>The shape of an ISO 4217 code, as an ECMA-262 pattern for API documents.</summary>
    public const string CurrencySchemaPattern = "^[A-Z]{3}$";

    /// <summary>
    /// Committed order ids one SKU remembers (the most recent), so a repeated commit answers the same sale instead of
    /// "no reservation". Bounds the stored state; a saga repeats a commit within minutes, not after this many sales.
    /// </summary>
    public const int MaxRememberedCommits = 1_000;

    /// <summary>How far ahead a lease may end: a crashed caller can hold stock no longer than this.</summary>
    public static readonly TimeSpan MaxLease = TimeSpan.FromDays(1);

    [GeneratedRegex(@"\A[A-Z]{3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Currency();

    public static void ValidateOnHand(int onHand, string field = "onHand")
    {
        if (onHand is < 0 or > MaxOnHand)
        {
            throw new DomainValidationException(field, $"'{field}' must be between 0 and {MaxOnHand}.");
        }
    }

    public static void ValidateUnitPrice(long unitPrice, string field = "unitPrice")
    {
        if (unitPrice is < 0 or > MaxUnitPrice)
        {
            throw new DomainValidationException(field, $"'{field}' must be between 0 and {MaxUnitPrice} (integer minor units).");
        }
    }

    public static void ValidateCurrency(string? currency, string field = "currency")
    {
        if (currency is null || !Currency().IsMatch(currency))
        {
            throw new DomainValidationException(field, $"'{field}' must be an ISO 4217 code: three upper-case letters.");
        }
    }

    public static void ValidateQuantity(int quantity, string field = "quantity")
    {
        if (quantity is < 1 or > MaxOnHand)
        {
            throw new DomainValidationException(field, $"'{field}' must be between 1 and {MaxOnHand}.");
        }
    }

    /// <summary>A lease must end after <paramref name="now"/> and within <see cref="MaxLease"/> of it.</summary>
    public static void ValidateLease(DateTimeOffset leaseUntil, DateTimeOffset now, string field = "leaseUntil")
    {
        if (leaseUntil <= now || leaseUntil > now + MaxLease)
        {
            throw new DomainValidationException(field, $"'{field}' must be in the future and at most {MaxLease.TotalHours:0} hours ahead.");
        }
    }
}
