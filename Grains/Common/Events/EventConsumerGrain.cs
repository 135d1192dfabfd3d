using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace OrleansSessions.Common.Events;

/// <summary>
/// A reaction of one context to another context's events (choreography). Delivery is at least once, so a handler is
/// idempotent: the grains it calls drop an event id they have applied already.
/// </summary>
public interface IEventReaction
{
    /// <summary>The consumer's name, as dead letters record it.</summary>
    string Name { get; }

    /// <summary>The context (stream namespace) whose events it reacts to.</summary>
    string Context { get; }

    bool Handles(EventEnvelope envelope);

    Task HandleAsync(EventEnvelope envelope, IGrainFactory grains);
}

/// <summary>
/// Receives one partition of a context's events (implicit subscription: one activation per partition, whatever the
/// number of aggregates) and hands each to the handlers of that context. Per aggregate, events go out in sequence
/// order: a duplicate is dropped, an event after a gap waits for the missing one (up to a bound). A handler that keeps
/// failing on an event does not hold up the rest: after a few attempts the event goes to the dead-letter store.
/// </summary>
public abstract partial class EventConsumerGrain(IEnumerable<IEventReaction> handlers, IDeadLetterStore deadLetters, ILogger logger)
    : Grain, IEventConsumerGrain, IStreamSubscriptionObserver, IAsyncObserver<EventEnvelope>
{
    private const int Attempts = 3;

    /// <summary>Events held back behind a gap, per aggregate, before the gap is given up on.</summary>
    private const int MaxHeldBack = 32;

    private readonly Dictionary<string, long> lastSequence = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedList<long, EventEnvelope>> heldBack = new(StringComparer.Ordinal);
    private IEventReaction[]? mine;

    /// <summary>The context this consumer subscribes to (the class's <c>[ImplicitStreamSubscription]</c> namespace).</summary>
    protected abstract string Context { get; }

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        await handleFactory.Create<EventEnvelope>().ResumeAsync(this);
    }

    public async Task OnNextAsync(EventEnvelope item, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        foreach (var envelope in InOrder(item))
        {
            await DispatchAsync(envelope);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <summary>The events that may go out now that <paramref name="envelope"/> arrived, in sequence order.</summary>
    private List<EventEnvelope> InOrder(EventEnvelope envelope)
    {
        var aggregate = envelope.AggregateId;

        // The first event seen of an aggregate (since this activation began) sets where it stands.
        var last = lastSequence.TryGetValue(aggregate, out var seen) ? seen : envelope.Sequence - 1;
        var ready = new List<EventEnvelope>();
        if (envelope.Sequence <= last)
        {
            return ready;
        }

        if (envelope.Sequence > last + 1)
        {
            var waiting = heldBack.TryGetValue(aggregate, out var held) ? held : heldBack[aggregate] = new();
            waiting[envelope.Sequence] = envelope;
            if (waiting.Count <= MaxHeldBack)
            {
                return ready;
            }

            LogGapGivenUp(logger, Context, aggregate, last + 1);
            last = waiting.Keys[0] - 1;
        }
        else
        {
            ready.Add(envelope);
            last = envelope.Sequence;
        }

        if (heldBack.TryGetValue(aggregate, out var pending))
        {
            while (pending.Count > 0 && pending.Keys[0] <= last + 1)
            {
                var next = pending.Values[0];
                pending.RemoveAt(0);
                if (next.Sequence == last + 1)
                {
                    ready.Add(next);
                    last = next.Sequence;
                }
            }

            if (pending.Count == 0)
            {
                heldBack.Remove(aggregate);
            }
        }

        lastSequence[aggregate] = last;
        return ready;
    }

    private async Task DispatchAsync(EventEnvelope envelope)
    {
        mine ??= handlers.Where(h => h.Context == Context).ToArray();
        foreach (var handler in mine.Where(h => h.Handles(envelope)))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await handler.HandleAsync(envelope, GrainFactory);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (attempt < Attempts)
                    {
                        // A short, growing pause: a transient failure (a grain moving, a store blip) usually passes.
                        await Task.Delay(TimeSpan.FromMilliseconds(50 << attempt));
                        continue;
                    }

                    var letter = await deadLetters.AddAsync(handler.Name, envelope, $"{e.GetType().Name}: {e.Message}", attempt);
                    LogDeadLettered(logger, handler.Name, envelope.Type, envelope.AggregateId, envelope.Sequence, letter.Id, LogText.Escape(e.Message));
                    break;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} gave up on {EventType} {AggregateId}#{Sequence} after retries; dead letter {DeadLetterId}: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string consumer, string eventType, string aggregateId, long sequence, long deadLetterId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Events of {Context} aggregate {AggregateId}: event {Sequence} never arrived; going on without it")]
    private static partial void LogGapGivenUp(ILogger logger, string context, string aggregateId, long sequence);
}

/// <summary>The operator's dead-letter list and replay.</summary>
public sealed class DeadLettersGrain(IDeadLetterStore store, IEnumerable<IEventReaction> handlers) : Grain, IDeadLettersGrain
{
    public Task<System.Collections.Immutable.ImmutableArray<DeadLetter>> ListAsync(int limit) => store.ListAsync(limit);

    public async Task<bool> ReplayAsync(long id)
    {
        if (await store.GetAsync(id) is not { } letter)
        {
            return false;
        }

        var handler = handlers.FirstOrDefault(h => h.Name == letter.Consumer)
            ?? throw new InvalidOperationException($"No consumer named {letter.Consumer} in this silo.");

        // A failure propagates to the operator and the letter stays.
        await handler.HandleAsync(letter.Envelope, GrainFactory);
        await store.RemoveAsync(id);
        return true;
    }
}
