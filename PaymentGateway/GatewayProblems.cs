namespace OrleansSessions.PaymentGateway;

/// <summary>Problem details (RFC 9457) with a machine-readable <c>code</c>, the way payment APIs word their errors.</summary>
internal static class GatewayProblems
{
    public static IResult Create(int status, string title, string detail, string code, string? declineCode = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (declineCode is not null)
        {
            extensions["declineCode"] = declineCode;
        }

        return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
    }

    public static IResult NotFound(string id) =>
        Create(StatusCodes.Status404NotFound, "No such authorization", $"There is no authorization '{id}'.", "resource_missing");

    public static IResult InvalidState(AuthorizationView authorization, string operation) =>
        Create(
            StatusCodes.Status409Conflict,
            "Invalid state",
            $"Authorization '{authorization.Id}' is {authorization.Status}; it cannot be {operation}.",
            "invalid_state");
}
