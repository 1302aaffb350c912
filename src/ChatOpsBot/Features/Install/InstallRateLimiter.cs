using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Install;

/// <summary>
/// The /i/ rate limit, decided once the token has been looked up. A known link's requests spend a budget per client
/// and link, so nobody else's traffic (another phone behind the same office NAT, a client flooding made-up tokens)
/// can stop a person's install; tokens that match no link spend a smaller budget per client of their own.
/// Fixed windows on the app's <see cref="TimeProvider"/>, aligned to the clock, one generation of counters per window.
/// </summary>
internal sealed class InstallRateLimiter(TimeProvider time, IOptions<ChatOpsBotOptions> options)
{
    private static readonly IPNetwork Unknown = new(IPAddress.IPv6None, 128);

    private Generation _current = new(long.MinValue);

    /// <summary>Whether the request may proceed; when not, how long until the window ends.</summary>
    public bool TryAcquire(IPAddress? client, long? linkId, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        var settings = options.Value.Install;
        if (settings.RequestsPerWindow == 0)
            return true;
        var limit = linkId is null ? settings.UnknownTokenRequestsPerWindow : settings.RequestsPerWindow;
        var now = time.GetUtcNow().UtcTicks;
        var window = settings.Window.Ticks;
        var counts = CountsFor(now / window);
        var count = counts.AddOrUpdate(new Key(ClientNetwork(client), linkId ?? -1), 1, static (_, c) => c == int.MaxValue ? c : c + 1);
        if (count <= limit)
            return true;
        retryAfter = TimeSpan.FromTicks(window - now % window);
        return false;
    }

    /// <summary>
    /// Who a client is for the limit: an IPv4 address, or an IPv6 address's /64 (one household or phone gets a whole
    /// /64 and can pick any address in it). IPv4-mapped IPv6 addresses count as the IPv4 address.
    /// </summary>
    public static IPNetwork ClientNetwork(IPAddress? address)
    {
        if (address is null)
            return Unknown;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return new IPNetwork(address, 32);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPNetwork(new IPAddress(bytes), 64);
    }

    private ConcurrentDictionary<Key, int> CountsFor(long window)
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            // A clock that steps back keeps counting in the newer window rather than reopening an old one.
            if (current.Window >= window)
                return current.Counts;
            // The last window's counters go as a whole, so memory holds at most one window's clients.
            var next = new Generation(window);
            if (Interlocked.CompareExchange(ref _current, next, current) == current)
                return next.Counts;
        }
    }

    private readonly record struct Key(IPNetwork Client, long LinkId);

    private sealed class Generation(long window)
    {
        public long Window { get; } = window;

        public ConcurrentDictionary<Key, int> Counts { get; } = new();
    }
}
