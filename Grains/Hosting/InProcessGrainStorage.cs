using System.Globalization;
using Orleans.Storage;

namespace OrleansSessions.Hosting;

/// <summary>
/// The embedded mode's grain state: rows in a dictionary of this process, with the same ETag checks as a real store.
/// Orleans' memory storage keeps its rows in storage grains instead, which a stopping silo deactivates alongside the
/// grains still storing their last changes, so those writes failed with errors logged; here they complete and are lost
/// with the process, like everything else in this mode.
/// </summary>
internal sealed class InProcessGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly Dictionary<(string StateName, GrainId GrainId), (BinaryData Data, string ETag)> rows = [];
    private readonly Lock gate = new();
    private long lastETag;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        (BinaryData Data, string ETag) row;
        lock (gate)
        {
            if (!rows.TryGetValue((stateName, grainId), out row))
            {
                return Task.CompletedTask;
            }
        }

        grainState.State = serializer.Deserialize<T>(row.Data);
        grainState.ETag = row.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var data = serializer.Serialize(grainState.State);
        lock (gate)
        {
            var key = (stateName, grainId);
            CheckETag(key, grainState.ETag);
            var etag = (++lastETag).ToString(CultureInfo.InvariantCulture);
            rows[key] = (data, etag);
            grainState.ETag = etag;
        }

        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        lock (gate)
        {
            var key = (stateName, grainId);
            CheckETag(key, grainState.ETag);
            rows.Remove(key);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>A write based on another version than the stored one (or on none when one is stored) is refused.</summary>
    private void CheckETag((string StateName, GrainId GrainId) key, string? expected)
    {
        var stored = rows.TryGetValue(key, out var row) ? row.ETag : null;
        if (stored != expected)
        {
            throw new InconsistentStateException($"ETag mismatch for {key.StateName} of {key.GrainId}.", stored, expected);
        }
    }
}
