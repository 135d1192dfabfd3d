using Orleans.Runtime.Messaging;
using Orleans.Storage;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>Failures that mean "the cluster or its store is away, try again later", as opposed to a bug.</summary>
internal static class ClusterOutage
{
    public static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SiloUnavailableException or ConnectionFailedException or OrleansMessageRejectionException
                or GatewayTooBusyException or TimeoutException or StoreUnavailableException or InconsistentStateException)
            {
                return true;
            }
        }

        return false;
    }
}
