using System.Text;
using Microsoft.AspNetCore.Http;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>What a misconfigured proxy in front of ChatOpsBot does to the responses it passes on.</summary>
internal enum ProxyFault
{
    None,
    StripsAcceptRanges,
    AddsQueryStringToIpaUrl,
    ServesManifestAsPlainText,
    DropsIpaLength,
    NotRoutingChatPlatforms,
    StripsSlackSignature,
}

/// <summary>
/// A reverse proxy's request handler, for a <see cref="TlsFront"/>: passes each request to the upstream host over
/// loopback and its answer back, with one <see cref="ProxyFault"/> applied. Records the paths it passed on.
/// </summary>
internal sealed class RewritingProxy(ProxyFault fault) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    public Uri? Upstream { get; set; }

    public List<string> Paths { get; } = [];

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path + context.Request.QueryString;
        lock (Paths)
            Paths.Add($"{context.Request.Method} {path}");
        var chat = context.Request.Path.StartsWithSegments("/slack") || context.Request.Path.StartsWithSegments("/api/messages");
        if (fault == ProxyFault.NotRoutingChatPlatforms && chat)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("not found", context.RequestAborted);
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Upstream!, path));
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            request.Content = new StreamContent(context.Request.Body);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (name is "Host" or "Content-Length" or "Transfer-Encoding")
                continue;
            if (fault == ProxyFault.StripsSlackSignature && name.StartsWith("X-Slack-", StringComparison.OrdinalIgnoreCase))
                continue;
            if (!request.Headers.TryAddWithoutValidation(name, [.. values]))
                request.Content?.Headers.TryAddWithoutValidation(name, [.. values]);
        }
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Transfer-Encoding" or "Connection")
                continue;
            if (fault == ProxyFault.StripsAcceptRanges && name == "Accept-Ranges")
                continue;
            if (fault == ProxyFault.DropsIpaLength && name == "Content-Length" && context.Request.Path.Value?.EndsWith("/app.ipa", StringComparison.Ordinal) == true)
                continue;
            context.Response.Headers[name] = values.ToArray();
        }
        var manifest = context.Request.Path.Value?.EndsWith("/manifest.plist", StringComparison.Ordinal) == true;
        if (manifest && fault == ProxyFault.ServesManifestAsPlainText)
            context.Response.ContentType = "text/plain";
        if (manifest && fault == ProxyFault.AddsQueryStringToIpaUrl)
        {
            var body = Encoding.UTF8.GetBytes((await response.Content.ReadAsStringAsync(context.RequestAborted)).Replace("/app.ipa<", "/app.ipa?cdn=1<", StringComparison.Ordinal));
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
            return;
        }
        if (context.Request.Method != "HEAD")
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public void Dispose() => _client.Dispose();
}
