namespace OrleansSessions.Common;

/// <summary>Stream provider and namespaces that carry domain events between contexts.</summary>
public static class StreamNames
{
    /// <summary>The stream provider every silo and client registers.</summary>
    public const string Provider = "events";
}
