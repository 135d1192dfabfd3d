using Orleans.Storage;

namespace OrleansSessions.Tests.Infrastructure.Faults;

/// <summary>
/// Grain storage that fails, delays or holds chosen calls as its <see cref="FaultPlan"/> says, over a real (memory)
/// storage. It sits below the product's <c>StoreOutageGrainStorage</c>, so the product sees the driver exceptions a
/// real PostgreSQL outage raises and translates them as it would in production.
/// </summary>
public sealed class FaultyGrainStorage(IGrainStorage inner, FaultPlan plan) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => RunAsync(new StorageCall(StorageOperation.Read, stateName, grainId, grainState.State), () => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => RunAsync(new StorageCall(StorageOperation.Write, stateName, grainId, grainState.State), () => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => RunAsync(new StorageCall(StorageOperation.Clear, stateName, grainId, grainState.State), () => inner.ClearStateAsync(stateName, grainId, grainState));

    private async Task RunAsync(StorageCall call, Func<Task> operation)
    {
        var rule = plan.TakeStorageRule(call);
        switch (rule?.Mode)
        {
            case FaultMode.FailBefore:
                throw FaultPlan.ConnectionRefused();

            case FaultMode.Conflict:
                throw FaultPlan.VersionConflict();

            case FaultMode.FailAfter:
                await operation();
                throw FaultPlan.ConnectionLost();

            case FaultMode.Block:
                await rule.WaitForReleaseAsync();
                await operation();
                return;

            default:
                await operation();
                return;
        }
    }
}
