namespace OrleansSessions.Common;

/// <summary>An Idempotency-Key was sent again with a different request. Hosts answer 422.</summary>
[GenerateSerializer]
[Alias("common.IdempotencyKeyReusedException")]
public sealed class IdempotencyKeyReusedException : Exception
{
    public IdempotencyKeyReusedException()
        : base("This Idempotency-Key was already used for a different request.")
    {
    }

    public IdempotencyKeyReusedException(string message)
        : base(message)
    {
    }

    public IdempotencyKeyReusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
