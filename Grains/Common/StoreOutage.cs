using System.Data.Common;
using System.Net.Sockets;

namespace OrleansSessions.Common;

/// <summary>Tells a store that cannot be reached from a store that refused a request.</summary>
public static class StoreOutage
{
    public static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
