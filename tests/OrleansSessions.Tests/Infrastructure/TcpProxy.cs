using System.Net;
using System.Net.Sockets;

namespace OrleansSessions.Tests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder in front of a real server, to take that server "down" for a test (refuse new connections
/// and cut the open ones) and bring it back, without touching the server other tests share.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> open = [];
    private readonly CancellationTokenSource stopping = new();
    private volatile bool up = true;

    public TcpProxy(string host, int port)
    {
        target = new IPEndPoint(IPAddress.Parse(host), port);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>Cuts every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        // Not listening at all: a connection attempt is refused, as with a database that is down, so a client knows
        // its statement was never sent.
        up = false;
        listener.Stop();
        lock (open)
        {
            foreach (var client in open.ToArray())
            {
                Reset(client);
            }

            open.Clear();
        }
    }

    public void Restore()
    {
        if (up)
        {
            return;
        }

        listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        up = true;
        _ = AcceptLoopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        Cut();
        stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception) when (stopping.IsCancellationRequested || !up)
            {
                return;
            }

            if (!up)
            {
                Reset(inbound);
                continue;
            }

            _ = PipeAsync(inbound);
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(target, stopping.Token);
            lock (open)
            {
                open.Add(inbound);
                open.Add(outbound);
            }

            var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), stopping.Token);
            var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), stopping.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A cut connection ends here; the peer sees the reset.
        }
        finally
        {
            lock (open)
            {
                open.Remove(inbound);
                open.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }

    /// <summary>Closes with a TCP reset, as a crashed server or a cut cable looks to the peer.</summary>
    private static void Reset(TcpClient client)
    {
        if (client.Client is { } socket)
        {
            socket.LingerState = new LingerOption(true, 0);
        }

        client.Dispose();
    }
}
