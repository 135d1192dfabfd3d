using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansSessions.PaymentGateway;

/// <summary>
/// A fake card payment gateway: authorize, capture, void and refund over JSON, idempotent by <c>Idempotency-Key</c>,
/// with Stripe-style test cards (<see cref="TestCards"/>), an in-memory ledger and faults injected on demand.
/// Run it as its own process (<c>Program.cs</c>), start it in-process with <see cref="Create"/>, or map its routes into
/// another application with <see cref="AddFakePaymentGateway"/> and <see cref="MapFakePaymentGateway"/>.
/// </summary>
public static partial class FakePaymentGateway
{
    public const string DefaultUrl = "http://127.0.0.1:5090";

    /// <summary>Every mutating call needs one: a retried call with the same key gets the first call's answer.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Set to <c>true</c> on an answer that repeats the first answer to its key.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Configuration section of the initial faults: <c>FailureRate</c>, <c>LatencyMs</c>, <c>SlowCardDelayMs</c>.</summary>
    public const string SectionName = "FakeGateway";

    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>The largest amount one authorization may hold, in minor units.</summary>
    public const long MaxAmount = 99_999_999;

    public static readonly FaultSettings DefaultFaults = new(FailureRate: 0, LatencyMs: 0, SlowCardDelayMs: 10_000);

    /// <summary>
    /// The gateway as a web application of its own, to run or start. It listens on <see cref="DefaultUrl"/> unless
    /// <c>--urls</c> (or <c>ASPNETCORE_URLS</c>) says otherwise; <c>--urls http://127.0.0.1:0</c> takes any free port,
    /// read back from <see cref="WebApplication.Urls"/> once started. <paramref name="configure"/> adjusts the builder
    /// (logging, settings) before it is built.
    /// </summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // A fixed content root: started from another folder, it must not pick up that folder's appsettings.json.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // Two Information lines per request otherwise.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddProblemDetails();
        builder.Services.AddFakePaymentGateway(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapFakePaymentGateway();
        return app;
    }

    public static IServiceCollection AddFakePaymentGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var faults = new FaultSettings(
            section.GetValue(nameof(FaultSettings.FailureRate), DefaultFaults.FailureRate),
            section.GetValue(nameof(FaultSettings.LatencyMs), DefaultFaults.LatencyMs),
            section.GetValue(nameof(FaultSettings.SlowCardDelayMs), DefaultFaults.SlowCardDelayMs));
        if (GatewayFaults.Validate(faults) is { Count: > 0 } errors)
        {
            throw new InvalidOperationException($"Invalid '{SectionName}' settings: {string.Join(" ", errors.Values.SelectMany(e => e))}");
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayBook>();
        services.AddSingleton<IdempotentCalls>();
        services.AddSingleton(new GatewayFaults(faults));

        // Amounts are numbers: "100" is refused, not read as 100.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        return services;
    }

    public static IEndpointRouteBuilder MapFakePaymentGateway(this IEndpointRouteBuilder routes)
    {
        // Injected faults hit the operations only, never the ledger or the admin routes tests read them with.
        var authorizations = routes.MapGroup("/v1/authorizations").AddEndpointFilter(InjectFaultsAsync);
        authorizations.MapPost("", AuthorizeAsync);
        authorizations.MapGet("/{id}", (string id, GatewayBook book) => book.Find(id) is { } found ? Results.Ok(found) : GatewayProblems.NotFound(id));
        authorizations.MapPost("/{id}/capture", (string id, HttpContext http, GatewayBook book) =>
            IdempotentAsync(http, Fingerprint(http, null), key => Task.FromResult(book.Capture(key, id))));
        authorizations.MapPost("/{id}/void", (string id, HttpContext http, GatewayBook book) =>
            IdempotentAsync(http, Fingerprint(http, null), key => Task.FromResult(book.Void(key, id))));
        authorizations.MapPost("/{id}/refund", (string id, HttpContext http, GatewayBook book) =>
            IdempotentAsync(http, Fingerprint(http, null), key => Task.FromResult(book.Refund(key, id))));

        routes.MapGet("/v1/ledger", (GatewayBook book) => Results.Ok(book.Ledger()));
        routes.MapGet("/admin/faults", (GatewayFaults faults) => Results.Ok(faults.Current));
        routes.MapPut("/admin/faults", (FaultSettings settings, GatewayFaults faults) =>
        {
            if (GatewayFaults.Validate(settings) is { Count: > 0 } errors)
            {
                return Results.ValidationProblem(errors, extensions: new Dictionary<string, object?> { ["code"] = "invalid_request" });
            }

            faults.Current = settings;
            return Results.Ok(settings);
        });
        return routes;
    }

    private static Task<IResult> AuthorizeAsync(AuthorizeRequest request, HttpContext http, GatewayBook book, GatewayFaults faults)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            // Refused before it ran: nothing is stored under the key, as with Stripe.
            return Task.FromResult(Results.ValidationProblem(errors, extensions: new Dictionary<string, object?> { ["code"] = "invalid_request" }));
        }

        return IdempotentAsync(http, Fingerprint(http, request), async key =>
        {
            if (request.PaymentMethod == TestCards.Slow)
            {
                await Task.Delay(faults.Current.SlowCardDelayMs);
            }

            return book.Authorize(key, request);
        });
    }

    /// <summary>Runs <paramref name="operation"/> once per <c>Idempotency-Key</c>; a repeated key gets the first answer.</summary>
    private static async Task<IResult> IdempotentAsync(HttpContext http, string fingerprint, Func<string, Task<IResult>> operation)
    {
        var key = http.Request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length is 0 or > MaxIdempotencyKeyLength)
        {
            return GatewayProblems.Create(
                StatusCodes.Status400BadRequest,
                "Idempotency key required",
                $"Send an '{IdempotencyKeyHeader}' header of 1 to {MaxIdempotencyKeyLength} characters.",
                "idempotency_key_missing");
        }

        var (call, replayed) = http.RequestServices.GetRequiredService<IdempotentCalls>().Get(key, fingerprint, () => operation(key));
        if (call.Fingerprint != fingerprint)
        {
            return GatewayProblems.Create(
                StatusCodes.Status422UnprocessableEntity,
                "Idempotency key reused",
                $"Key '{key}' was first used for another request; a key stands for one request only.",
                "idempotency_key_reused");
        }

        if (replayed)
        {
            http.Response.Headers[ReplayedHeader] = "true";
        }

        // A caller that gives up does not cancel the operation: its retry gets the answer.
        return await call.Answer.WaitAsync(http.RequestAborted);
    }

    private static string Fingerprint(HttpContext http, AuthorizeRequest? body) =>
        $"{http.Request.Method} {http.Request.Path}\n{(body is null ? "" : JsonSerializer.Serialize(body))}";

    private static Dictionary<string, string[]> Validate(AuthorizeRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Amount is < 1 or > MaxAmount)
        {
            errors["amount"] = [$"'amount' must be between 1 and {MaxAmount} (minor units)."];
        }

        if (request.Currency is null || !Currency().IsMatch(request.Currency))
        {
            errors["currency"] = ["'currency' must be an ISO 4217 code of three capital letters."];
        }

        if (request.PaymentMethod is null || !TestCards.All.Contains(request.PaymentMethod))
        {
            errors["paymentMethod"] = [$"No such payment method; the fake gateway knows {string.Join(", ", TestCards.All)}."];
        }

        return errors;
    }

    private static async ValueTask<object?> InjectFaultsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var faults = http.RequestServices.GetRequiredService<GatewayFaults>().Current;
        if (faults.LatencyMs > 0)
        {
            await Task.Delay(faults.LatencyMs, http.RequestAborted);
        }

        // Before the idempotency check, so a retry with the same key is not answered with this failure again.
        if (faults.FailureRate > 0 && Random.Shared.NextDouble() < faults.FailureRate)
        {
            return GatewayProblems.Create(
                StatusCodes.Status503ServiceUnavailable,
                "Gateway unavailable",
                $"A transient failure (injected); nothing was done. Retry with the same {IdempotencyKeyHeader}.",
                "gateway_unavailable");
        }

        return await next(context);
    }

    [GeneratedRegex(@"\A[A-Z]{3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Currency();
}
