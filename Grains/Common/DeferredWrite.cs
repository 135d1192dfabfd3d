namespace OrleansSessions.Common;

/// <summary>
/// A write a grain wants done soon but not on the call that asked for it: it runs in a grain timer turn of its own
/// (not interleaved with calls), with at most one pending at a time. Reads use it to persist what they only changed
/// in memory, so they never wait on the store.
/// </summary>
public sealed class DeferredWrite(IGrainBase owner, Func<Task> write)
{
    private IGrainTimer? pending;

    public void Request()
        => pending ??= owner.RegisterGrainTimer(
            _ => RunAsync(),
            new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { KeepAlive = false });

    private Task RunAsync()
    {
        pending?.Dispose();
        pending = null;
        return write();
    }
}
