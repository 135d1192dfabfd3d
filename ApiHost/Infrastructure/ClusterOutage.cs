using Orleans.Runtime.Messaging;
using Orleans.Storage;
using OrleansSessions.Common;

namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>What a client may assume about a request the API host refused with 503.</summary>
internal enum OutageOutcome
{
    /// <summary>Not an outage: a bug or a client error, handled elsewhere.</summary>
    None,

    /// <summary>The request never took effect: it was refused before or instead of being applied. Safe to retry.</summary>
    NotApplied,

    /// <summary>The cluster stopped answering after the request may have reached a grain; it may or may not have been applied.</summary>
    Unknown,
}

/// <summary>Failures that mean "the cluster or its store is away, try again later", as opposed to a bug.</summary>
internal static class ClusterOutage
{
    public static OutageOutcome Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ConnectionFailedException or OrleansMessageRejectionException or GatewayTooBusyException
                    or StoreUnavailableException or InconsistentStateException or ClusterNotConnectedException:
                    return OutageOutcome.NotApplied;
                case SiloUnavailableException or TimeoutException or StoreOutcomeUnknownException:
                    return OutageOutcome.Unknown;
            }
        }

        return OutageOutcome.None;
    }

    public static bool IsOutage(Exception exception) => Classify(exception) != OutageOutcome.None;
}

/// <summary>The API host is not connected to the cluster yet (or any more); nothing was sent to it.</summary>
internal sealed class ClusterNotConnectedException() : Exception("The API host is not connected to the cluster.");
