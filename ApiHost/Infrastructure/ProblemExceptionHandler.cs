using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Diagnostics;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Inventory;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// Turns the exceptions a client can cause or a client can wait out into RFC 9457 problem details with the right
/// status; anything else is left to the default handler (500).
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case DomainValidationException invalid:
                return await WriteAsync(httpContext, exception, StatusCodes.Status400BadRequest, "Invalid request", invalid.Message, invalid.Field);

            case UnsupportedMediaTypeException unsupported:
                httpContext.Response.Headers.Accept = unsupported.AcceptHeader;
                return await WriteAsync(
                    httpContext, exception, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", unsupported.Message, field: null);

            case UnauthenticatedException unauthenticated:
                httpContext.Response.Headers.WWWAuthenticate = unauthenticated.CredentialGiven ? Credentials.InvalidTokenChallenge : Credentials.Challenge;
                return await WriteAsync(httpContext, exception, StatusCodes.Status401Unauthorized, "Unauthorized", unauthenticated.Message, field: null);

            case ForbiddenException:
                return await WriteAsync(httpContext, exception, StatusCodes.Status403Forbidden, "Forbidden", exception.Message, field: null);

            case TooManyRequestsException limited:
                httpContext.Response.Headers.RetryAfter = RateLimits.RetryAfter(limited.RetryAfterSeconds);
                return await WriteAsync(httpContext, exception, StatusCodes.Status429TooManyRequests, "Too many requests", limited.Message, field: null);

            case SessionNotFoundException:
                // One answer for unknown, expired, ended and malformed ids: no oracle.
                return await WriteAsync(httpContext, exception, StatusCodes.Status404NotFound, "Session not found", "No such session.", field: null);

            case SessionVersionMismatchException:
                return await WriteAsync(
                    httpContext, exception, StatusCodes.Status412PreconditionFailed, "Precondition failed", "The session has changed since the ETag in If-Match.", field: null);

            case SessionLimitExceededException tooLarge:
                return await WriteAsync(
                    httpContext, exception, StatusCodes.Status413PayloadTooLarge, "Session limit exceeded", tooLarge.Message, field: null, ("limit", tooLarge.Limit));

            case UserNotFoundException or Orders.OrderNotFoundException or Orders.DeadLetterNotFoundException:
                return await WriteAsync(httpContext, exception, StatusCodes.Status404NotFound, "Not found", exception.Message, field: null);

            case IdempotencyKeyReusedException reused:
                return await WriteAsync(httpContext, exception, StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused", reused.Message, field: null);

            case TooManySessionsException tooMany:
                return await WriteAsync(httpContext, exception, StatusCodes.Status409Conflict, "Too many sessions", tooMany.Message, field: null);

            case SkuNotStockedException:
                return await WriteAsync(httpContext, exception, StatusCodes.Status404NotFound, "SKU not stocked", "This SKU has never been stocked.", field: null);

            case StockBelowReservedException below:
                return await WriteAsync(httpContext, exception, StatusCodes.Status409Conflict, "Stock below reserved", below.Message, field: null);

            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                var max = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
                return await WriteAsync(
                    httpContext, exception, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                    $"The request body is larger than the {max} bytes this API accepts.", field: null, ("limit", "maxRequestBodyBytes"));

            case BadHttpRequestException bad:
                // Kestrel's and the framework's own wording stays out of the answer.
                return await WriteAsync(httpContext, exception, bad.StatusCode, "Bad request", "The request is malformed.", field: null);

            case var e when ClusterOutage.Classify(e) is not OutageOutcome.None and var outcome:
                LogOutage(logger, e.GetType().Name, LogText.Escape(e.Message));
                await Problems.WriteUnavailableAsync(problems, httpContext, outcome, exception);
                return true;

            default:
                return false;
        }
    }

    private async ValueTask<bool> WriteAsync(
        HttpContext http, Exception exception, int status, string title, string detail, string? field, params (string Name, object Value)[] extensions)
    {
        http.Response.StatusCode = status;
        var context = new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        };
        foreach (var (name, value) in extensions)
        {
            context.ProblemDetails.Extensions[name] = value;
        }

        if (field is not null)
        {
            context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        return await problems.TryWriteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answering 503: {ExceptionType}: {Reason}")]
    private static partial void LogOutage(ILogger logger, string exceptionType, string reason);
}
