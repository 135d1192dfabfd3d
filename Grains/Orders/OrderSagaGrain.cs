using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSessions.Carts;
using OrleansSessions.Common;
using OrleansSessions.Common.Events;
using OrleansSessions.Inventory;
using OrleansSessions.Payments;

namespace OrleansSessions.Orders;

/// <summary>The <c>Orders</c> configuration section.</summary>
public sealed class OrderOptions
{
    public const string SectionName = "Orders";

    /// <summary>Attempts of a forward step that keeps failing transiently before the order is cancelled.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Attempts of a compensation before the saga stops in CompensationFailed for an operator.</summary>
    public int MaxCompensationAttempts { get; set; } = 5;

    /// <summary>How long reserved stock is held for the saga: a stalled saga's stock frees itself after this.</summary>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The first retry's pause; each next one doubles (capped at <see cref="MaxRetryDelay"/>), with ±50 % jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The order saga (orchestration). Each step's outcome is stored before the next starts; transient failures retry with
/// exponential backoff and jitter in timer turns of their own (the grain stays readable meanwhile), and a reminder
/// resumes a saga whose silo died. Every call it makes is idempotent per order id, so a repeated step does nothing twice.
/// </summary>
public sealed partial class OrderSagaGrain(
    [PersistentState("orders.saga", StorageNames.State)] IPersistentState<OrderSagaState> saga,
    IOptions<OrderOptions> options,
    IEventPublisher publisher,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<OrderSagaGrain> logger)
    : ReleasedWhenEmptyGrain(saga), IOrderSagaGrain, IRemindable
{
    private const string ResumeReminder = "resume";
    private readonly OrderOptions settings = options.Value;
    private OrderSagaState? visible;
    private IGrainTimer? retry;
    private bool running;

    private string OrderId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        visible = saga.RecordExists ? saga.State : null;
        return Task.CompletedTask;
    }

    public async Task<OrderView> PlaceAsync(PlaceOrder request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (saga.RecordExists)
        {
            return saga.State.RequestHash == request.RequestHash && saga.State.UserId == request.UserId
                ? View(saga.State)
                : throw new IdempotencyKeyReusedException();
        }

        Identifiers.Validate(request.UserId, "userId");
        if (request.Lines.IsDefaultOrEmpty)
        {
            throw new DomainValidationException("cart", "The cart is empty: there is nothing to order.");
        }

        // In-process callers skip the API: the lines get the cart's rules here, so the total below always fits a long.
        if (request.Lines.Length > CartRules.MaxLines)
        {
            throw new DomainValidationException("lines", $"An order holds at most {CartRules.MaxLines} lines.");
        }

        foreach (var line in request.Lines)
        {
            Identifiers.Validate(line.Sku, "sku");
            CartRules.ValidateQuantity(line.Quantity);
        }

        if (request.Lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal).Count() != request.Lines.Length)
        {
            throw new DomainValidationException("lines", "Each SKU may appear in one line only.");
        }

        var now = time.GetUtcNow();
        var placed = new OrderSagaState
        {
            UserId = request.UserId,
            PaymentMethod = request.PaymentMethod,
            RequestHash = request.RequestHash,
            Lines = request.Lines,
            Status = OrderStatus.Pending,
            PlacedAt = now,
            UpdatedAt = now,
            Phase = SagaPhase.Reserve,
            History = [new SagaStep("place", "pending", 1, now)],
            Events = EventOutbox.Empty.Raise(OrderId, new OrderPlaced(OrderId, request.UserId, request.Lines), now, Correlation.Id),
        };

        // Registered before the order is stored: a stored order always has something that resumes it.
        await this.RegisterOrUpdateReminder(ResumeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await StoreAsync(placed);
        ScheduleRun(TimeSpan.Zero);
        return View(saga.State);
    }

    public Task<OrderView?> GetAsync() => Task.FromResult(visible is null ? null : View(visible));

    public async Task<OrderView?> RetryAsync()
    {
        if (!saga.RecordExists)
        {
            return null;
        }

        if (saga.State.Phase != SagaPhase.Done)
        {
            await this.RegisterOrUpdateReminder(ResumeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            await StoreAsync(saga.State with { Attempt = 0 }, Step("retry", "by operator"));
            ScheduleRun(TimeSpan.Zero);
        }

        return View(saga.State);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!saga.RecordExists)
        {
            await StopReminderAsync();
            return;
        }

        await PublishAsync();
        if (saga.State.Phase == SagaPhase.Done)
        {
            await StopWhenDoneAsync();
        }
        else if (saga.State.Status != OrderStatus.CompensationFailed && retry is null)
        {
            // The silo that ran it died, or a retry timer was lost with its activation.
            await RunAsync();
        }
    }

    private void ScheduleRun(TimeSpan due)
    {
        retry?.Dispose();
        retry = this.RegisterGrainTimer(
            () =>
            {
                retry?.Dispose();
                retry = null;
                return RunAsync();
            },
            new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    /// <summary>Runs steps until the saga is done or must wait (a retry after a backoff, or an operator).</summary>
    private async Task RunAsync()
    {
        if (running || !saga.RecordExists)
        {
            return;
        }

        running = true;
        try
        {
            while (saga.State.Phase != SagaPhase.Done)
            {
                var phase = saga.State.Phase;
                OrderSagaState next;
                try
                {
                    next = await StepAsync(saga.State);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (!await FailedAttemptAsync(phase, e))
                    {
                        return;
                    }

                    continue;
                }

                await StoreAsync(next with { Attempt = 0 });
            }

            await StopWhenDoneAsync();
        }
        finally
        {
            running = false;
        }
    }

    /// <summary>Records a failed attempt; true when the saga goes on at once (into compensation), false when it waits.</summary>
    private async Task<bool> FailedAttemptAsync(SagaPhase phase, Exception e)
    {
        var attempt = saga.State.Attempt + 1;
        var outcome = $"failed: {e.GetType().Name}";
        LogStepFailed(logger, OrderId, phase, attempt, LogText.Escape(e.Message));
        if (phase == SagaPhase.Compensate && attempt >= settings.MaxCompensationAttempts)
        {
            var reason = $"compensation kept failing: {e.GetType().Name}";
            await StoreAsync(
                saga.State with
                {
                    Attempt = attempt,
                    Status = OrderStatus.CompensationFailed,
                    Events = Raise(saga.State, new OrderCompensationFailed(OrderId, saga.State.UserId, reason)),
                },
                Step(Name(phase), outcome, attempt));
            await GrainFactory.GetGrain<ISagaIndexGrain>(0).SetAsync(OrderId, failed: true);
            await StopReminderAsync();
            return false;
        }

        if (phase != SagaPhase.Compensate && attempt >= settings.MaxAttempts)
        {
            await StoreAsync(
                Compensating(saga.State, $"{Name(phase)} kept failing: {e.GetType().Name}") with { Attempt = 0 },
                Step(Name(phase), outcome, attempt));
            return true;
        }

        await StoreAsync(saga.State with { Attempt = attempt }, Step(Name(phase), outcome, attempt));
        ScheduleRun(Backoff(attempt));
        return false;
    }

    /// <summary>One step: its calls, and the state to store once they are done.</summary>
    private Task<OrderSagaState> StepAsync(OrderSagaState state) => state.Phase switch
    {
        SagaPhase.Reserve => ReserveAsync(state),
        SagaPhase.Authorize => AuthorizeAsync(state),
        SagaPhase.Capture => CaptureAsync(state),
        SagaPhase.Commit => CommitAsync(state),
        _ => CompensateAsync(state),
    };

    private async Task<OrderSagaState> ReserveAsync(OrderSagaState state)
    {
        // Price and availability of every line, in parallel, before anything is held.
        var stock = await Task.WhenAll(state.Lines.Select(l => Stock(l.Sku).GetAsync()));
        var missing = state.Lines.Where((line, i) => stock[i] is not { } s || s.Available < line.Quantity).Select(l => l.Sku).ToArray();
        if (missing.Length > 0)
        {
            return Done(state, OrderStatus.Cancelled, $"out of stock: {string.Join(", ", missing)}", "reserve", "out of stock");
        }

        var leaseUntil = time.GetUtcNow() + settings.ReservationLease;
        var results = await Task.WhenAll(state.Lines.Select(l => Stock(l.Sku).ReserveAsync(OrderId, l.Quantity, leaseUntil)));
        var held = state.Lines.Where((_, i) => results[i] is Reserved or AlreadyCommitted).Select(l => l.Sku).ToImmutableArray();
        if (results.Any(r => r is OutOfStock))
        {
            return Compensating(state with { Reserved = held }, "out of stock") with { History = state.History.Add(Step("reserve", "out of stock")) };
        }

        var priced = state.Lines.Select((line, i) => results[i] switch
        {
            Reserved r => line with { UnitPrice = r.UnitPrice, Currency = r.Currency },
            AlreadyCommitted c => line with { UnitPrice = c.Sale.UnitPrice, Currency = c.Sale.Currency },
            _ => line,
        }).ToImmutableArray();
        var currencies = priced.Select(l => l.Currency).Distinct().ToArray();
        if (currencies.Length != 1)
        {
            return Compensating(state with { Reserved = held }, "lines are priced in different currencies");
        }

        // A total no payment may hold is refused for good here, not retried as if the gateway might change its mind.
        var total = priced.Sum(l => l.UnitPrice * l.Quantity);
        if (!PaymentRules.IsPayable(total))
        {
            return Compensating(state with { Reserved = held }, $"the total is not an amount one payment may hold (1 to {PaymentRules.MaxAmount} minor units)")
                with { History = state.History.Add(Step("reserve", "total out of range")) };
        }

        return state with
        {
            Lines = priced,
            Reserved = held,
            Total = total,
            Currency = currencies[0],
            Status = OrderStatus.Reserved,
            Phase = SagaPhase.Authorize,
            History = state.History.Add(Step("reserve", "reserved")),
        };
    }

    private async Task<OrderSagaState> AuthorizeAsync(OrderSagaState state)
    {
        var payment = await Payment().AuthorizeAsync(new PaymentRequest(state.Total, state.Currency!, state.PaymentMethod));
        return payment.Status switch
        {
            PaymentStatus.Authorized => state with
            {
                Authorized = true,
                Status = OrderStatus.Authorized,
                Phase = SagaPhase.Capture,
                History = state.History.Add(Step("authorize", "authorized")),
            },
            PaymentStatus.Declined => Compensating(state, $"payment declined: {payment.Reason}") with
            {
                History = state.History.Add(Step("authorize", $"declined: {payment.Reason}")),
            },
            _ => throw new PaymentGatewayUnavailableException($"The authorization is {payment.Status}; asking again."),
        };
    }

    private async Task<OrderSagaState> CaptureAsync(OrderSagaState state)
    {
        // A saga that comes back after its leases ran out holds the stock again first, or fails before money moves.
        var leaseUntil = time.GetUtcNow() + settings.ReservationLease;
        var results = await Task.WhenAll(state.Lines.Select(l => Stock(l.Sku).ReserveAsync(OrderId, l.Quantity, leaseUntil)));
        if (results.Any(r => r is OutOfStock))
        {
            return Compensating(state, "reservation expired and the stock is gone") with
            {
                History = state.History.Add(Step("capture", "stock no longer held")),
            };
        }

        var payment = await Payment().CaptureAsync();
        return payment.Status switch
        {
            PaymentStatus.Captured => state with { Captured = true, Phase = SagaPhase.Commit, History = state.History.Add(Step("capture", "captured")) },
            PaymentStatus.CaptureFailed => Compensating(state, $"capture failed: {payment.Reason}") with
            {
                History = state.History.Add(Step("capture", $"failed: {payment.Reason}")),
            },
            _ => throw new PaymentGatewayUnavailableException($"The capture is {payment.Status}; asking again."),
        };
    }

    private async Task<OrderSagaState> CommitAsync(OrderSagaState state)
    {
        var results = await Task.WhenAll(state.Lines.Select(l => Stock(l.Sku).CommitAsync(OrderId)));
        if (results.Any(r => r is ReservationExpired))
        {
            return Compensating(state, "the stock was no longer reserved at confirmation") with
            {
                History = state.History.Add(Step("confirm", "reservation expired")),
            };
        }

        var confirmed = Done(state, OrderStatus.Confirmed, reason: null, "confirm", "confirmed");
        return confirmed with
        {
            Events = Raise(confirmed, new OrderConfirmed(OrderId, state.UserId, state.Lines, state.Total, state.Currency!)),
        };
    }

    /// <summary>Undo in reverse order: the payment first (refund or void), then the stock.</summary>
    private async Task<OrderSagaState> CompensateAsync(OrderSagaState state)
    {
        if (state.Captured)
        {
            await Payment().RefundAsync();
        }
        else if (state.Authorized)
        {
            await Payment().VoidAsync();
        }

        await Task.WhenAll(state.Reserved.Select(sku => Stock(sku).ReleaseAsync(OrderId)));
        if (state.Status == OrderStatus.CompensationFailed)
        {
            await GrainFactory.GetGrain<ISagaIndexGrain>(0).SetAsync(OrderId, failed: false);
        }

        return Done(state, OrderStatus.Cancelled, state.Reason, "compensate", "compensated");
    }

    /// <summary>The saga turns to compensation for <paramref name="reason"/> (stored with the next step).</summary>
    private static OrderSagaState Compensating(OrderSagaState state, string reason)
        => state with { Phase = SagaPhase.Compensate, Reason = reason };

    private OrderSagaState Done(OrderSagaState state, OrderStatus status, string? reason, string step, string outcome)
    {
        var done = state with { Phase = SagaPhase.Done, Status = status, Reason = reason, History = state.History.Add(Step(step, outcome)) };
        return status == OrderStatus.Cancelled
            ? done with { Events = Raise(done, new OrderCancelled(OrderId, state.UserId, reason ?? "cancelled")) }
            : done;
    }

    private async Task StoreAsync(OrderSagaState next, SagaStep? step = null)
    {
        var stored = next with { UpdatedAt = time.GetUtcNow(), History = step is null ? next.History : next.History.Add(step) };
        await this.CommitAsync(saga, stored);
        visible = saga.State;
        await PublishAsync();
    }

    /// <summary>Publishes the stored events; what fails stays stored, and the reminder tries again.</summary>
    private async Task PublishAsync()
    {
        // Emptied in memory only; the next write stores it (a re-publish after a crash is a duplicate that consumers
        // drop by event id).
        saga.State = saga.State with { Events = await publisher.PublishPendingAsync(saga.State.Events, OrderId, logger) };
    }

    /// <summary>A finished saga keeps its reminder until its events are out.</summary>
    private Task StopWhenDoneAsync() => saga.State.Events.Pending.IsEmpty ? StopReminderAsync() : Task.CompletedTask;

    private async Task StopReminderAsync()
    {
        if (await this.GetReminder(ResumeReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>Exponential backoff with ±50 % jitter, so retries of many sagas do not arrive together.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var delay = Math.Min(settings.MaxRetryDelay.TotalMilliseconds, settings.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(delay * (0.5 + Random.Shared.NextDouble()));
    }

    private EventOutbox Raise(OrderSagaState state, IDomainEvent payload) => state.Events.Raise(OrderId, payload, time.GetUtcNow(), Correlation.Id);

    private SagaStep Step(string step, string outcome, int attempt = 1) => new(step, outcome, attempt, time.GetUtcNow());

    private static string Name(SagaPhase phase) => phase switch
    {
        SagaPhase.Commit => "confirm",
        _ => phase.ToString().ToLowerInvariant(),
    };

    private IInventoryGrain Stock(string sku) => GrainFactory.GetGrain<IInventoryGrain>(sku);

    private IPaymentGrain Payment() => GrainFactory.GetGrain<IPaymentGrain>(OrderId);

    private OrderView View(OrderSagaState state) => new(
        OrderId, state.UserId, state.Status, state.Reason, state.Lines, state.Total, state.Currency, state.PaymentMethod,
        state.PlacedAt, state.UpdatedAt, state.History);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId}: step {Phase} failed (attempt {Attempt}): {Reason}")]
    private static partial void LogStepFailed(ILogger logger, string orderId, SagaPhase phase, int attempt, string reason);

}
