namespace OrleansSessions.PaymentGateway;

/// <summary>
/// The <c>paymentMethod</c> values the fake gateway knows, after Stripe's test cards; any other value is refused with
/// 400 (<c>resource_missing</c>), as an unknown payment method would be by a real gateway.
/// </summary>
public static class TestCards
{
    /// <summary>Authorizes, captures, voids and refunds.</summary>
    public const string Visa = "pm_card_visa";

    /// <summary>The authorization is declined: 402, <c>declineCode</c> <c>generic_decline</c>.</summary>
    public const string ChargeDeclined = "pm_card_chargeDeclined";

    /// <summary>The authorization is declined: 402, <c>declineCode</c> <c>insufficient_funds</c>.</summary>
    public const string ChargeDeclinedInsufficientFunds = "pm_card_chargeDeclinedInsufficientFunds";

    /// <summary>
    /// Not one of Stripe's: the authorization succeeds, every capture of it fails for good (402, <c>capture_failed</c>);
    /// it can still be voided.
    /// </summary>
    public const string CaptureFails = "pm_card_captureFails";

    /// <summary>Behaves like <see cref="Visa"/>, but the authorization answers only after the configured slow-card delay.</summary>
    public const string Slow = "pm_card_slow";

    public static IReadOnlyList<string> All { get; } = [Visa, ChargeDeclined, ChargeDeclinedInsufficientFunds, CaptureFails, Slow];

    /// <summary>The decline code a card's authorization gets, or null when it authorizes.</summary>
    public static string? DeclineCodeOf(string paymentMethod) => paymentMethod switch
    {
        ChargeDeclined => "generic_decline",
        ChargeDeclinedInsufficientFunds => "insufficient_funds",
        _ => null,
    };
}
