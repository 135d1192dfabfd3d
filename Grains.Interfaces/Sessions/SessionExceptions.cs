namespace OrleansSessions.Sessions;

/// <summary>The session does not exist, has expired, or was rotated or invalidated. Hosts answer 404, whatever the cause.</summary>
[GenerateSerializer]
[Alias("sessions.SessionNotFoundException")]
public sealed class SessionNotFoundException : Exception
{
    public SessionNotFoundException()
        : base("No such session.")
    {
    }

    public SessionNotFoundException(string message)
        : base(message)
    {
    }

    public SessionNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An If-Match precondition named a version the session no longer has. Hosts answer 412.</summary>
[GenerateSerializer]
[Alias("sessions.SessionVersionMismatchException")]
public sealed class SessionVersionMismatchException : Exception
{
    public SessionVersionMismatchException(long expected, long actual)
        : base($"The session is at version {actual}, not {expected}.")
    {
        Expected = expected;
        Actual = actual;
    }

    public SessionVersionMismatchException()
    {
    }

    public SessionVersionMismatchException(string message)
        : base(message)
    {
    }

    public SessionVersionMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public long Expected { get; init; }

    [Id(1)]
    public long Actual { get; init; }
}

/// <summary>A change would exceed a size budget; nothing was written. Hosts answer 413 naming <see cref="Limit"/>.</summary>
[GenerateSerializer]
[Alias("sessions.SessionLimitExceededException")]
public sealed class SessionLimitExceededException : Exception
{
    public SessionLimitExceededException(string limit, long allowed, long actual)
        : base($"The change exceeds the session limit '{limit}': {actual} > {allowed}.")
    {
        Limit = limit;
        Allowed = allowed;
        Actual = actual;
    }

    public SessionLimitExceededException()
    {
    }

    public SessionLimitExceededException(string message)
        : base(message)
    {
    }

    public SessionLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public string Limit { get; init; } = "";

    [Id(1)]
    public long Allowed { get; init; }

    [Id(2)]
    public long Actual { get; init; }
}

/// <summary>The user already has the maximum number of live sessions and the policy is to refuse. Hosts answer 409.</summary>
[GenerateSerializer]
[Alias("sessions.SessionLimitReachedException")]
public sealed class TooManySessionsException : Exception
{
    public TooManySessionsException(int limit)
        : base($"The user already has {limit} live sessions, the most allowed.") => Limit = limit;

    public TooManySessionsException()
    {
    }

    public TooManySessionsException(string message)
        : base(message)
    {
    }

    public TooManySessionsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public int Limit { get; init; }
}
