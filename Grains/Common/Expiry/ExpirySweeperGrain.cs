using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansSessions.Common.Expiry;

[GenerateSerializer]
[Immutable]
[Alias("common.ExpirySweeperState.v1")]
public sealed record ExpirySweeperState
{
    /// <summary>The last bucket minute swept completely; null until the partition is first started.</summary>
    [Id(0)]
    public long? LastSweptMinute { get; init; }
}

public sealed partial class ExpirySweeperGrain(
    [PersistentState("common.expiry-sweeper", StorageNames.State)] IPersistentState<ExpirySweeperState> sweeper,
    [FromKeyedServices(DomainClock.Key)] TimeProvider time,
    ILogger<ExpirySweeperGrain> logger)
    : Grain, IExpirySweeperGrain, IRemindable
{
    private const string ReminderName = "expiry-sweep";

    /// <summary>Buckets one call walks at most: after a long outage the partition catches up over several ticks, 120× real time.</summary>
    private const int MaxBucketsPerSweep = 120;

    public async Task StartAsync()
    {
        // The walk starts where the partition was first started; from then on it resumes where it stopped,
        // however long the cluster was down.
        if (sweeper.State.LastSweptMinute is null)
        {
            await this.CommitAsync(sweeper, sweeper.State with { LastSweptMinute = Expiry.MinuteOf(time.GetUtcNow()) - 1 });
        }

        if (await this.GetReminder(ReminderName) is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
    }

    public Task<long?> LastSweptMinuteAsync() => Task.FromResult(sweeper.State.LastSweptMinute);

    public async Task<int> SweepDueAsync()
    {
        var partition = (int)this.GetPrimaryKeyLong();
        var lastDue = Expiry.MinuteOf(time.GetUtcNow()) - 1;
        var minute = (sweeper.State.LastSweptMinute ?? lastDue) + 1;
        var swept = 0;
        for (; minute <= lastDue && swept < MaxBucketsPerSweep; minute++)
        {
            // A bucket that fails stops the walk here; the next tick resumes from its minute, so nothing is skipped.
            await Expiry.SweepMinuteAsync(GrainFactory, partition, minute);
            await this.CommitAsync(sweeper, sweeper.State with { LastSweptMinute = minute });
            swept++;
        }

        return swept;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        try
        {
            await SweepDueAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTickFailed(logger, LogText.Escape(e.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep tick failed; the next tick resumes where it stopped: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string reason);
}
