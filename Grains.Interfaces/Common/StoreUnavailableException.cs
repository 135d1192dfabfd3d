namespace OrleansSessions.Common;

/// <summary>
/// The durable store could not be reached, so a change was not persisted and not acknowledged.
/// Safe to retry; hosts map it to 503 with Retry-After.
/// </summary>
[GenerateSerializer]
[Alias("common.store-unavailable-exception")]
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
        : base("The durable store is unavailable; the change was not saved.")
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
