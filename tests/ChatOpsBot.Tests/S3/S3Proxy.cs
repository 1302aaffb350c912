using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests.S3;

/// <summary>
/// A loopback proxy in front of s3rver that records every request it passes and fails the ones <see cref="Fails"/>
/// picks the way a store does: the body is read in full, then a 500 InternalError comes back. Requests are forwarded
/// with their Host header, which their signature covers.
/// </summary>
internal sealed class S3Proxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
    private readonly Uri _target;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();

    private S3Proxy(WebApplication app, Uri target)
    {
        _app = app;
        _target = target;
    }

    /// <summary>Which requests fail; none by default.</summary>
    public Func<HttpRequest, bool> Fails { get; set; } = _ => false;

    /// <summary>Which requests lose their connection before any answer, as a store that goes away does; none by default.</summary>
    public Func<HttpRequest, bool> Aborts { get; set; } = _ => false;

    /// <summary>Every request with its headers (names in lowercase), in order.</summary>
    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    /// <summary>"METHOD /path?query" of every request, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public string ServiceUrl { get; private set; } = "";

    public static async Task<S3Proxy> StartAsync(string target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new S3Proxy(app, new Uri(target));
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        proxy.ServiceUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return proxy;
    }

    /// <summary>The requests under way to one object key (its path after the bucket), by method.</summary>
    public IEnumerable<string> RequestsFor(string key) => Requests.Where(r => r.Split(' ')[1].Split('?')[0].EndsWith("/" + key, StringComparison.Ordinal));

    private async Task ForwardAsync(HttpContext http)
    {
        var request = http.Request;
        _requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        _received.Enqueue(new ReceivedRequest(request.Method, $"{request.Path}{request.QueryString}",
            request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal)));
        if (Aborts(request))
        {
            http.Abort();
            return;
        }
        if (Fails(request))
        {
            await request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            http.Response.ContentType = "application/xml";
            await http.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>");
            return;
        }
        using var upstream = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target, request.Path + request.QueryString));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0 || HttpMethods.IsPut(request.Method) || HttpMethods.IsPost(request.Method))
            upstream.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                continue;
            if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values))
                upstream.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
        }
        using var response = await _upstream.SendAsync(upstream, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                http.Response.Headers[name] = values.ToArray();
        }
        await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}

/// <summary>One request as the store received it.</summary>
internal sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);
