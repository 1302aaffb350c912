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
/// Other anonymous routes (the device registration pages, announcement icons) spend a budget of their own per client
/// and route, as large as a link's (<see cref="PerClientLimit"/>).
/// No timer runs: a window's counters are replaced by the first request of the next one, so an idle host stays idle
/// (ASP.NET Core's rate limiter, which this replaced for those routes, wakes the thread pool ten times a second).
/// </summary>
internal sealed class InstallRateLimiter(TimeProvider time, IOptions<ChatOpsBotOptions> options)
{
    private static readonly IPNetwork Unknown = new(IPAddress.IPv6None, 128);

    // The counter keys' link id for requests that are not for a known link.
    private const long UnknownToken = -1;

    private Generation _current = new(long.MinValue);

    /// <summary>Whether the request may proceed; when not, how long until the window ends.</summary>
    public bool TryAcquire(IPAddress? client, long? linkId, out TimeSpan retryAfter)
    {
        var settings = options.Value.Install;
        return TryAcquire(client, linkId ?? UnknownToken, linkId is null ? settings.UnknownTokenRequestsPerWindow : settings.RequestsPerWindow, out retryAfter);
    }

    /// <summary>The same for another anonymous route: the client's budget for that route.</summary>
    public bool TryAcquire(IPAddress? client, AnonymousRoute route, out TimeSpan retryAfter) =>
        TryAcquire(client, -(long)route, options.Value.Install.RequestsPerWindow, out retryAfter);

    private bool TryAcquire(IPAddress? client, long budget, int limit, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        var settings = options.Value.Install;
        if (settings.RequestsPerWindow == 0)
            return true;
        var now = time.GetUtcNow().UtcTicks;
        var window = settings.Window.Ticks;
        var counts = CountsFor(now / window);
        var count = counts.AddOrUpdate(new Key(ClientNetwork(client), budget), 1, static (_, c) => c == int.MaxValue ? c : c + 1);
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

/// <summary>Anonymous routes outside /i/ that spend a per-client budget of their own.</summary>
internal enum AnonymousRoute
{
    // Negative link ids in the counters' keys; -1 is the unknown tokens'.
    DevicePages = 2,
    Icons = 3,
}

internal static class PerClientLimit
{
    /// <summary>
    /// Spends one request of the client's budget for <paramref name="route"/>, or answers 429 with Retry-After: a
    /// browser is shown a page, anything else (a device's own request, a chat platform's fetch) a sentence.
    /// </summary>
    public static TBuilder RequirePerClientLimit<TBuilder>(this TBuilder builder, AnonymousRoute route) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.RequestServices.GetRequiredService<InstallRateLimiter>().TryAcquire(http.Connection.RemoteIpAddress, route, out var retryAfter))
                return await next(context);
            InstallEndpoints.SetRetryAfter(http, retryAfter);
            return HttpMethods.IsGet(http.Request.Method) && http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
                ? TypedResults.Content(InstallPage.RenderTooManyRequests(InstallEndpoints.PageSecurityPolicy(http.Response.Headers)), "text/html; charset=utf-8",
                    statusCode: StatusCodes.Status429TooManyRequests)
                : InstallEndpoints.TooManyRequests();
        });
}
