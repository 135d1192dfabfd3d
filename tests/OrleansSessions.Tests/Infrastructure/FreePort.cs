using System.Net;
using System.Net.Sockets;

namespace OrleansSessions.Tests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback TCP port free at the time of the call, so parallel hosts do not collide.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
