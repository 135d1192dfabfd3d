using System.Collections.Concurrent;

namespace OrleansSessions.PaymentGateway;

/// <summary>
/// The first answer to each <c>Idempotency-Key</c>, kept for the life of the process. An operation runs at most once per
/// key, detached from the request that started it: a caller that times out and retries with the same key gets the
/// answer of the first run (waiting for it if it is still running) instead of a second charge.
/// </summary>
internal sealed class IdempotentCalls
{
    private readonly ConcurrentDictionary<string, Call> calls = new(StringComparer.Ordinal);

    /// <summary>
    /// The call <paramref name="key"/> stands for; <paramref name="operation"/> runs only when the key is new.
    /// <c>Replayed</c> says the key was seen before; the caller must compare the call's fingerprint with its own.
    /// </summary>
    public (Call Call, bool Replayed) Get(string key, string fingerprint, Func<Task<IResult>> operation)
    {
        var fresh = new Call(fingerprint, operation);
        var call = calls.GetOrAdd(key, fresh);
        return (call, !ReferenceEquals(call, fresh));
    }

    internal sealed class Call(string fingerprint, Func<Task<IResult>> operation)
    {
        // Only the instance the dictionary kept is ever asked for its answer, so the operation runs once per key.
        private readonly Lazy<Task<IResult>> answer = new(() => Task.Run(operation));

        /// <summary>Method, path and body of the first request with this key.</summary>
        public string Fingerprint { get; } = fingerprint;

        public Task<IResult> Answer => answer.Value;
    }
}
