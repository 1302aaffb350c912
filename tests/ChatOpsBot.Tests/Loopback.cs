using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ChatOpsBot.Tests;

/// <summary>Ports on 127.0.0.1 for the servers tests start (PostgreSQL, nginx, hosts), and waiting for one to listen.</summary>
internal static class Loopback
{
    /// <summary>A port free now; another process may take it before it is bound, so callers retry on "in use".</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Whether <paramref name="process"/> accepts connections on <paramref name="port"/>: false once it has exited, or
    /// when a minute passed without either. Not a timing assertion: a deadline, so a server that never listens fails
    /// its test instead of hanging it.
    /// </summary>
    public static async Task<bool> ListensAsync(Process process, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (process.HasExited)
                return false;
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return !process.HasExited;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }
        return false;
    }
}
