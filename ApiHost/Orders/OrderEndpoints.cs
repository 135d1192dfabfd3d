using System.Collections.Immutable;
using System.ComponentModel.DataAnnotations;
using OrleansSessions.ApiHost.Infrastructure;
using OrleansSessions.ApiHost.Security;
using OrleansSessions.ApiHost.Sessions;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Orders;
using OrleansSessions.Sessions;

namespace OrleansSessions.ApiHost.Orders;

/// <summary>Request to order what is in the user's cart.</summary>
public sealed record PlaceOrderRequest(
    [property: Required, MaxLength(Identifiers.MaxLength), RegularExpression(Identifiers.SchemaPattern)] string? PaymentMethod);

/// <summary>What the user overview gathered, and which parts did not answer within their time.</summary>
public sealed record OverviewResponse(
    IReadOnlyList<UserSessionResponse>? Sessions,
    CartView? Cart,
    IReadOnlyList<OrderSummary>? Orders,
    IReadOnlyList<string> Missing);

internal static class OrderEndpoints
{
    /// <summary>How long the overview waits for each of its parts; they are asked in parallel, so this is its whole budget.</summary>
    private static readonly TimeSpan OverviewBranchTimeout = TimeSpan.FromSeconds(1);

    public static RouteGroupBuilder MapOrders(this RouteGroupBuilder routes)
    {
        // Services with orders (the overview also needs sessions:admin and carts: it lists sessions and the cart);
        // end users: their own user's orders, and an order only when it is theirs.
        var users = routes.MapGroup("/users/{userId}").WithTags("Orders").RequireAccess(Owner.User, Scopes.Orders);
        var overview = routes.MapGroup("/users/{userId}").WithTags("Orders")
            .RequireAccess(Owner.User, Scopes.SessionsAdmin, Scopes.Carts, Scopes.Orders);
        var orders = routes.MapGroup("/orders/{orderId}").WithTags("Orders").RequireAccess(Owner.CheckedByEndpoint, Scopes.Orders);

        users.MapPost("/orders", async (string userId, HttpContext http, IGrainFactory grains) =>
        {
            Identifiers.Validate(userId, "userId");
            var key = http.Request.Headers[IdempotencyKeys.Header] is [{ } given]
                ? IdempotencyKeys.Validate(given)
                : throw new DomainValidationException(IdempotencyKeys.Header, $"'{IdempotencyKeys.Header}' is required: it makes a retried order the same order.");
            var body = await JsonBody.ReadAsync<PlaceOrderRequest>(http.Request);
            // The payments context's rule for a payment method, checked here first.
            var method = JsonBody.Required(body.PaymentMethod, "paymentMethod");
            Identifiers.Validate(method, "paymentMethod");

            // The saga decides whether this is a new order, a retry of it (the lines are then ignored) or a reused key (422).
            var orderId = OrderIds.For(userId, key);
            var lines = (await grains.GetGrain<ICartGrain>(CartKeys.User(userId)).GetAsync()).Lines;
            var order = await grains.GetGrain<IOrderSagaGrain>(orderId).PlaceAsync(
                new PlaceOrder(userId, method, [.. lines.Select(l => new OrderLine(l.Sku, l.Quantity, 0, null))], RequestHash: method));
            return TypedResults.Accepted($"/orders/{orderId}", order);
        })
            .WithSummary("Orders what is in the user's cart (202, Location). The same Idempotency-Key answers the same order; with another body: 422.")
            .AcceptsJson<PlaceOrderRequest>()
            .WithIdempotencyKey(required: true)
            .Produces<OrderView>(StatusCodes.Status202Accepted)
            .WithResponseHeader(StatusCodes.Status202Accepted, "Location", "/orders/{orderId} of the order.")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity);

        users.MapGet("/orders", async (string userId, IGrainFactory grains) =>
        {
            Identifiers.Validate(userId, "userId");
            return await grains.GetGrain<IUserOrderHistoryGrain>(userId).ListAsync();
        })
            .WithSummary("The user's orders, built from order events (eventually consistent).")
            .Produces<ImmutableArray<OrderSummary>>()
            .ProducesProblems(StatusCodes.Status400BadRequest);

        users.MapGet("/activity", async (string userId, IGrainFactory grains) =>
        {
            Identifiers.Validate(userId, "userId");
            return await grains.GetGrain<IUserActivityGrain>(userId).ListAsync();
        })
            .WithSummary("The user's recent activity (sessions, orders), newest first, built from events (eventually consistent).")
            .Produces<ImmutableArray<ActivityEntry>>()
            .ProducesProblems(StatusCodes.Status400BadRequest);

        overview.MapGet("/overview", async (string userId, IGrainFactory grains) =>
        {
            Identifiers.Validate(userId, "userId");
            return await UserOverview.ReadAsync(grains, userId, OverviewBranchTimeout);
        })
            .WithSummary("Sessions, cart and order history in parallel, each within its own time; what did not answer is listed in missing (200, partial).")
            .Produces<OverviewResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest);

        orders.MapGet("", async (string orderId, HttpContext http, IGrainFactory grains) =>
        {
            Identifiers.Validate(orderId, "orderId");
            var order = await grains.GetGrain<IOrderSagaGrain>(orderId).GetAsync();

            // Another user's order is answered like one that does not exist.
            return order is not null && (!http.User.IsEndUser() || string.Equals(order.UserId, http.User.UserId(), StringComparison.Ordinal))
                ? order
                : throw new OrderNotFoundException();
        })
            .WithSummary("The order: status (Pending, Reserved, Authorized, Confirmed, Cancelled with a reason, CompensationFailed) and its step history.")
            .Produces<OrderView>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        return routes;
    }

    /// <summary>Operator routes, in one group: services with the admin scope only.</summary>
    public static RouteGroupBuilder MapAdmin(this RouteGroupBuilder routes)
    {
        var admin = routes.MapGroup("/admin").WithTags("Operator").RequireAccess(Owner.None, Scopes.Admin);

        admin.MapGet("/sagas", async (string? status, IGrainFactory grains) =>
        {
            if (status is not null && status != nameof(OrderStatus.CompensationFailed))
            {
                throw new DomainValidationException("status", "'status' may only be CompensationFailed.");
            }

            var failed = await grains.GetGrain<ISagaIndexGrain>(0).ListFailedAsync();
            var orders = await Task.WhenAll(failed.Select(id => grains.GetGrain<IOrderSagaGrain>(id).GetAsync()));
            return orders.OfType<OrderView>().ToImmutableArray();
        })
            .WithSummary("Sagas an operator must look at: those in CompensationFailed.")
            .Produces<ImmutableArray<OrderView>>()
            .ProducesProblems(StatusCodes.Status400BadRequest);

        admin.MapPost("/sagas/{orderId}/retry", async (string orderId, IGrainFactory grains) =>
        {
            Identifiers.Validate(orderId, "orderId");
            return await grains.GetGrain<IOrderSagaGrain>(orderId).RetryAsync() ?? throw new OrderNotFoundException();
        })
            .WithSummary("Runs the saga again now, with fresh attempts (a CompensationFailed one retries its compensation).")
            .Produces<OrderView>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        admin.MapGet("/dead-letters", async (IGrainFactory grains) => await grains.GetGrain<IDeadLettersGrain>(0).ListAsync(500))
            .WithSummary("Events a consumer kept failing on (at most 500, oldest first).")
            .Produces<ImmutableArray<DeadLetter>>();

        admin.MapPost("/dead-letters/{id}/replay", async (long id, IGrainFactory grains)
                => await grains.GetGrain<IDeadLettersGrain>(0).ReplayAsync(id) ? Results.NoContent() : throw new DeadLetterNotFoundException())
            .WithSummary("Hands the event to its consumer again; 204 once it took it (the letter is removed).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status404NotFound);

        return routes;
    }
}

/// <summary>No such order. Hosts answer 404.</summary>
internal sealed class OrderNotFoundException() : Exception("No such order.");

/// <summary>No such dead letter. Hosts answer 404.</summary>
internal sealed class DeadLetterNotFoundException() : Exception("No such dead letter.");

/// <summary>The user overview: a parallel fan-out with a time per branch, answering with what arrived.</summary>
internal static class UserOverview
{
    public static async Task<OverviewResponse> ReadAsync(IGrainFactory grains, string userId, TimeSpan branchTimeout)
    {
        var sessions = PartialAnswer<IReadOnlyList<UserSessionResponse>>.WithinAsync(
            () => UserSessionList.ReadAsync(grains, grains.GetGrain<IUserSessionsGrain>(userId)), branchTimeout);
        var cart = PartialAnswer<CartView>.WithinAsync(() => grains.GetGrain<ICartGrain>(CartKeys.User(userId)).GetAsync(), branchTimeout);
        var orders = PartialAnswer<IReadOnlyList<OrderSummary>>.WithinAsync(
            async () => await grains.GetGrain<IUserOrderHistoryGrain>(userId).ListAsync(), branchTimeout);
        await Task.WhenAll(sessions, cart, orders);

        var missing = new[] { ("sessions", sessions.Result.Answered), ("cart", cart.Result.Answered), ("orders", orders.Result.Answered) }
            .Where(part => !part.Item2).Select(part => part.Item1).ToList();
        return new OverviewResponse(
            sessions.Result.Answered ? sessions.Result.Value : null,
            cart.Result.Answered ? cart.Result.Value : null,
            orders.Result.Answered ? orders.Result.Value : null,
            missing);
    }
}
