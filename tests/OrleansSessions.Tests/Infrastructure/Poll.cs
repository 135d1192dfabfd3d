namespace OrleansSessions.Tests.Infrastructure;

/// <summary>Waits for a condition by polling it until a deadline, then fails saying what was awaited.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string awaited)
    {
        await ForAsync(async () => await condition() ? true : (bool?)null, deadline, awaited);
    }

    /// <summary>Polls until <paramref name="attempt"/> returns a value; exceptions count as "not yet" and the last one is reported.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T?>> attempt, TimeSpan deadline, string awaited)
    {
        using var timer = new PeriodicTimer(Interval);
        var started = TimeProvider.System.GetTimestamp();
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await attempt() is { } value)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                last = e;
            }

            if (TimeProvider.System.GetElapsedTime(started) > deadline)
            {
                throw new TimeoutException(
                    $"Gave up after {deadline.TotalSeconds:0.#} s waiting for: {awaited}." +
                    (last is null ? "" : $" Last error: {last.GetType().Name}: {last.Message}"), last);
            }

            await timer.WaitForNextTickAsync();
        }
    }
}
