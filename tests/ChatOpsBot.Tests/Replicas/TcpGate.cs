using System.Net;
using System.Net.Sockets;

namespace ChatOpsBot.Tests;

/// <summary>
/// A loopback TCP relay in front of a server, which a test can turn into a black hole: connections are accepted and
/// stay open, but nothing gets through in either direction, as when a network drops every packet or a server hangs.
/// (A stopped server refuses connections at once; this is the failure that waits instead.)
/// </summary>
internal sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _relays = [];
    private readonly Task _accepting;
    private volatile bool _blackHole;

    private TcpGate(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static TcpGate Start(int targetPort) => new(new IPEndPoint(IPAddress.Loopback, targetPort));

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>From now on nothing passes: bytes already on their way and bytes still to come are dropped.</summary>
    public void BlackHole() => _blackHole = true;

    /// <summary>New connections reach the server again. (A connection that lost bytes in the black hole is broken for good.)</summary>
    public void Open() => _blackHole = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_relays)
                _relays.Add(RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var _ = client;
        if (_blackHole)
        {
            // Accepted, never connected onwards: the client waits for a server that never speaks.
            await DrainAsync(client);
            return;
        }
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return;
        }
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        await Task.WhenAny(PumpAsync(client, server, done.Token), PumpAsync(server, client, done.Token));
        await done.CancelAsync();
    }

    private async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                    return;
                if (!_blackHole)
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task DrainAsync(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] relays;
        lock (_relays)
            relays = [.. _relays];
        await Task.WhenAll(relays);
        _stop.Dispose();
    }
}
