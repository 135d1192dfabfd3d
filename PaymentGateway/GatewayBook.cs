namespace OrleansSessions.PaymentGateway;

/// <summary>The gateway's books: authorizations and the ledger of every operation carried out, in this process's memory.</summary>
internal sealed class GatewayBook(TimeProvider clock)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, AuthorizationView> authorizations = new(StringComparer.Ordinal);
    private readonly List<LedgerEntry> ledger = [];

    public IResult Authorize(string idempotencyKey, AuthorizeRequest request)
    {
        var currency = request.Currency!;
        var paymentMethod = request.PaymentMethod!;
        lock (gate)
        {
            if (TestCards.DeclineCodeOf(paymentMethod) is { } declineCode)
            {
                Record("authorize", "declined", idempotencyKey, null, request.Amount, currency, paymentMethod, declineCode);
                return GatewayProblems.Create(
                    StatusCodes.Status402PaymentRequired, "Card declined", $"The card was declined ({declineCode}).", "card_declined", declineCode);
            }

            var authorization = new AuthorizationView(
                $"auth_{Guid.NewGuid():N}", AuthorizationStatus.Authorized, request.Amount, currency, paymentMethod, clock.GetUtcNow());
            authorizations.Add(authorization.Id, authorization);
            Record("authorize", authorization.Status, idempotencyKey, authorization);
            return Results.Json(authorization, statusCode: StatusCodes.Status201Created);
        }
    }

    public IResult Capture(string idempotencyKey, string id) => Transition(idempotencyKey, id, "capture", "captured", a => a.Status switch
    {
        AuthorizationStatus.Authorized or AuthorizationStatus.CaptureFailed when a.PaymentMethod == TestCards.CaptureFails =>
            AuthorizationStatus.CaptureFailed,
        AuthorizationStatus.Authorized => AuthorizationStatus.Captured,
        _ => null,
    });

    public IResult Void(string idempotencyKey, string id) => Transition(idempotencyKey, id, "void", "voided", a => a.Status switch
    {
        AuthorizationStatus.Authorized or AuthorizationStatus.CaptureFailed => AuthorizationStatus.Voided,
        _ => null,
    });

    public IResult Refund(string idempotencyKey, string id) => Transition(idempotencyKey, id, "refund", "refunded", a => a.Status switch
    {
        AuthorizationStatus.Captured => AuthorizationStatus.Refunded,
        _ => null,
    });

    public AuthorizationView? Find(string id)
    {
        lock (gate)
        {
            return authorizations.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<LedgerEntry> Ledger()
    {
        lock (gate)
        {
            return [.. ledger];
        }
    }

    /// <summary>Moves an authorization to the status <paramref name="next"/> allows, recording the operation; null from it is 409.</summary>
    private IResult Transition(string idempotencyKey, string id, string operation, string participle, Func<AuthorizationView, string?> next)
    {
        lock (gate)
        {
            if (!authorizations.TryGetValue(id, out var authorization))
            {
                return GatewayProblems.NotFound(id);
            }

            if (next(authorization) is not { } status)
            {
                return GatewayProblems.InvalidState(authorization, participle);
            }

            var changed = authorization with { Status = status };
            authorizations[id] = changed;
            Record(operation, status, idempotencyKey, changed);
            return status == AuthorizationStatus.CaptureFailed
                ? GatewayProblems.Create(
                    StatusCodes.Status402PaymentRequired, "Capture failed", $"Authorization '{id}' cannot be captured.", "capture_failed")
                : Results.Json(changed);
        }
    }

    private void Record(string operation, string outcome, string idempotencyKey, AuthorizationView authorization) =>
        Record(operation, outcome, idempotencyKey, authorization.Id, authorization.Amount, authorization.Currency, authorization.PaymentMethod, null);

    private void Record(
        string operation, string outcome, string idempotencyKey, string? authorizationId, long amount, string currency, string paymentMethod, string? declineCode) =>
        ledger.Add(new LedgerEntry(
            ledger.Count + 1, clock.GetUtcNow(), operation, outcome, idempotencyKey, authorizationId, amount, currency, paymentMethod, declineCode));
}
