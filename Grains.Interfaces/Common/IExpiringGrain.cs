namespace OrleansSessions.Common;

/// <summary>
/// A grain whose state ends at a deadline. The expiry sweep calls it once its registered deadline has passed; it deletes
/// its state when it really is due, or answers its later deadline (it slid) so the sweep looks again then.
/// </summary>
[Alias("common.IExpiringGrain")]
public interface IExpiringGrain : IGrainWithStringKey
{
    /// <returns><see langword="null"/> when the grain's state is gone; otherwise its current deadline.</returns>
    [Alias("expire-if-due")]
    Task<DateTimeOffset?> ExpireIfDueAsync();
}
