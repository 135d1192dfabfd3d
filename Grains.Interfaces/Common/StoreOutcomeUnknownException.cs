namespace OrleansSessions.Common;

/// <summary>
/// The store stopped answering while a write was in flight: it may or may not have been applied. The grain reloads
/// what is stored before its next call; hosts answer 503 with <c>outcome: unknown</c>, so a client reads before it
/// retries instead of applying the change twice.
/// </summary>
[GenerateSerializer]
[Alias("common.store-outcome-unknown-exception")]
public sealed class StoreOutcomeUnknownException : Exception
{
    public StoreOutcomeUnknownException()
        : base("The durable store stopped answering during a write; it may or may not have been applied.")
    {
    }

    public StoreOutcomeUnknownException(string message)
        : base(message)
    {
    }

    public StoreOutcomeUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
