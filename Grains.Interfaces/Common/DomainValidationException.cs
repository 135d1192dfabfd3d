namespace OrleansSessions.Common;

/// <summary>A request broke a domain rule; nothing was changed. Hosts map it to 400.</summary>
[GenerateSerializer]
[Alias("common.domain-validation-exception")]
public sealed class DomainValidationException : Exception
{
    public DomainValidationException(string field, string message)
        : base(message) => Field = field;

    public DomainValidationException()
    {
    }

    public DomainValidationException(string message)
        : base(message)
    {
    }

    public DomainValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The request field the rule is about, as the client named it.</summary>
    [Id(0)]
    public string Field { get; init; } = "";
}
