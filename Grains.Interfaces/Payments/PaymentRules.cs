using System.Text.RegularExpressions;
using OrleansSessions.Common;

namespace OrleansSessions.Payments;

/// <summary>The payment's input rules, shared by the grain (which enforces them) and hosts (which report them early).</summary>
public static partial class PaymentRules
{
    /// <summary>The largest amount one payment may hold, in minor units (Stripe's limit for most currencies).</summary>
    public const long MaxAmount = 99_999_999;

    /// <summary>Whether one payment may hold <paramref name="amount"/> minor units.</summary>
    public static bool IsPayable(long amount) => amount is >= 1 and <= MaxAmount;

    public static void Validate(PaymentRequest? request)
    {
        if (request is null)
        {
            throw new DomainValidationException("request", "A payment request is required.");
        }

        if (!IsPayable(request.Amount))
        {
            throw new DomainValidationException("amount", $"'amount' must be between 1 and {MaxAmount} (minor units).");
        }

        if (request.Currency is null || !Currency().IsMatch(request.Currency))
        {
            throw new DomainValidationException("currency", "'currency' must be an ISO 4217 code of three capital letters.");
        }

        Identifiers.Validate(request.PaymentMethod, "paymentMethod");
    }

    [GeneratedRegex(@"\A[A-Z]{3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Currency();
}
