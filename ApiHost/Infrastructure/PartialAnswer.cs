namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// One branch of an API composition (a fan-out that answers with what arrived): the branch's answer, or none when it
/// did not come within its time or its part of the cluster is away. A bug still fails the whole request.
/// </summary>
internal readonly record struct PartialAnswer<T>(bool Answered, T Value)
{
    public static async Task<PartialAnswer<T>> WithinAsync(Func<Task<T>> read, TimeSpan timeout)
    {
        try
        {
            return new(true, await read().WaitAsync(timeout));
        }
        catch (Exception e) when (ClusterOutage.IsOutage(e) || e is OrleansException)
        {
            return new(false, default!);
        }
    }
}
