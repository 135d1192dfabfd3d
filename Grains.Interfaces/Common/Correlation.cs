namespace OrleansSessions.Common;

/// <summary>
/// The correlation id of the current request, carried through grain calls by the Orleans request context so that
/// events raised anywhere along a request name the request that caused them.
/// </summary>
public static class Correlation
{
    private const string Key = "correlation-id";

    public static string? Id
    {
        get => RequestContext.Get(Key) as string;
        set
        {
            if (value is null)
            {
                RequestContext.Remove(Key);
            }
            else
            {
                RequestContext.Set(Key, value);
            }
        }
    }
}
