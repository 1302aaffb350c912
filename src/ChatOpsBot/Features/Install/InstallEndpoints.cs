using System.Globalization;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Links;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using QRCoder;

namespace ChatOpsBot.Features.Install;

/// <summary>
/// What a phone fetches: the install page, the manifest, the IPA, the icon and the QR code, all under
/// /i/{token}. The token in the path is the only credential, because iOS's installer sends no cookies.
/// </summary>
internal static partial class InstallEndpoints
{
    public const string RateLimitPolicy = "install";

    public static WebApplicationBuilder AddInstall(this WebApplicationBuilder builder)
    {
        // The install endpoints are what records link events, so their writer is registered with them.
        builder.Services.TryAddSingleton<LinkEventLog>();
        builder.Services.TryAddSingleton<ManifestLookup>();
        builder.Services.AddHostedService<LinkEventFlusher>();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(RateLimitPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.Install;
                if (options.RequestsPerWindow == 0)
                    return RateLimitPartition.GetNoLimiter("off");
                return RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RequestsPerWindow, Window = options.Window, QueueLimit = 0 });
            });
        });
        return builder;
    }

    public static WebApplication MapInstall(this WebApplication app)
    {
        var install = app.MapGroup("/i/{token}")
            .RequireRateLimiting(RateLimitPolicy)
            .AddEndpointFilter(async (context, next) =>
            {
                // The token is in the URL: keep it out of caches, referrers and search engines.
                var headers = context.HttpContext.Response.Headers;
                headers.CacheControl = "no-store";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XContentTypeOptions = "nosniff";
                headers["X-Robots-Tag"] = "noindex, nofollow";
                return await next(context);
            })
            .ExcludeFromDescription();
        install.MapGet("", Page);
        install.MapGet("/manifest.plist", Manifest);
        install.MapMethods("/app.ipa", [HttpMethods.Get, HttpMethods.Head], Ipa);
        install.MapGet("/icon.png", Icon);
        install.MapGet("/qr.png", QrCode);
        return app;
    }

    internal static async Task<IResult> Page(string token, HttpContext http, InstallLinks links, PublicUrls urls, CancellationToken cancellationToken)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        http.Response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; img-src 'self'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (resolved is null)
            return TypedResults.Content(InstallPage.RenderNotFound(nonce), "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);

        var userAgent = http.Request.Headers.UserAgent.ToString();
        await links.RecordAsync(resolved.Link.Id, LinkEventKind.PageView, userAgent, cancellationToken);
        var html = InstallPage.Render(ModelOf(resolved, urls), InstallClientDetector.Detect(userAgent), nonce);
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: resolved.Status switch
        {
            LinkStatus.Ready or LinkStatus.ProfileExpired => StatusCodes.Status200OK,
            _ => StatusCodes.Status410Gone,
        });
    }

    internal static async Task<IResult> Manifest(string token, HttpContext http, InstallLinks links, PublicUrls urls, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveForManifestAsync(token, cancellationToken);
        if (resolved is null)
            return UnknownLink();
        if (resolved.Status != LinkStatus.Ready)
            return Gone(resolved.Status);
        links.RecordInBackground(resolved.LinkId, LinkEventKind.ManifestFetch, http.Request.Headers.UserAgent.ToString());
        var manifest = ItmsManifest.Create(new ManifestContent(
            urls.Ipa(token),
            resolved.HasIcon ? urls.Icon(token) : null,
            resolved.BundleId,
            resolved.Version.Length > 0 ? resolved.Version : resolved.BuildNumber,
            resolved.DisplayName,
            $"{resolved.Channel} · build {resolved.BuildNumber}"));
        return TypedResults.Bytes(manifest, "text/xml");
    }

    internal static async Task Ipa(string token, HttpContext http, InstallLinks links, IArtifactStore artifacts, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (resolved is null)
        {
            await UnknownLink().ExecuteAsync(http);
            return;
        }
        var request = http.Request;
        var isHead = HttpMethods.IsHead(request.Method);
        var isRange = request.Headers.Range.Count > 0;
        long? downloadId = null;
        if (isHead ? !MayProbe(resolved, links.DownloadGrace, time.GetUtcNow().UtcDateTime) : (downloadId = await links.DownloadForAsync(resolved, request.Headers.UserAgent.ToString(), isRange, cancellationToken)) is null)
        {
            await Gone(resolved).ExecuteAsync(http);
            return;
        }

        await using var file = artifacts.OpenRead(resolved.Build.Sha256);
        if (file is null)
        {
            LogArtifactMissing(loggers.CreateLogger(typeof(InstallEndpoints)), resolved.Build.Id);
            await TypedResults.Text("The build's file is missing on the server.", "text/plain", statusCode: StatusCodes.Status500InternalServerError).ExecuteAsync(http);
            return;
        }
        var sent = await IpaDownload.SendAsync(http, file, resolved.Build.Sha256, isHead, cancellationToken);
        if (downloadId is { } id && sent.Bytes > 0)
            await links.RecordBytesAsync(id, sent.Bytes, sent.ReachedEnd, file.Length, CancellationToken.None);
    }

    internal static async Task<IResult> Icon(string token, InstallLinks links, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (resolved?.Build.IconSha256 is not { } icon || artifacts.OpenRead(icon) is not { } stream)
            return TypedResults.Text("No icon.", "text/plain", statusCode: StatusCodes.Status404NotFound);
        return TypedResults.Stream(stream, "image/png");
    }

    internal static async Task<IResult> QrCode(string token, InstallLinks links, PublicUrls urls, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (resolved is null)
            return UnknownLink();
        var png = PngByteQRCodeHelper.GetQRCode(urls.InstallPage(token), QRCodeGenerator.ECCLevel.M, 8);
        return TypedResults.Bytes(png, "image/png");
    }

    /// <summary>HEAD asks about the file without downloading it; allowed wherever a download could run.</summary>
    private static bool MayProbe(ResolvedLink resolved, TimeSpan grace, DateTime now) => resolved.Status switch
    {
        LinkStatus.Ready or LinkStatus.DownloadLimitReached => true,
        LinkStatus.Expired => now < resolved.Link.ExpiresAt + grace,
        _ => false,
    };

    private static InstallPageModel ModelOf(ResolvedLink resolved, PublicUrls urls)
    {
        var (link, build, token) = (resolved.Link, resolved.Build, resolved.Token);
        return new InstallPageModel(
            resolved.App.Slug, build.DisplayName, build.Version, build.BuildNumber, build.Channel, build.Notes,
            build.IconSha256 is not null,
            urls.InstallPage(token), urls.Manifest(token), urls.ItmsServices(token), urls.Icon(token), urls.QrCode(token),
            link.UserName, new DateTimeOffset(link.ExpiresAt, TimeSpan.Zero),
            build.ProfileType, build.ProfileExpiresAt is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) : null,
            build.ProfileDeviceCount,
            resolved.Status switch
            {
                LinkStatus.Ready => InstallPageState.Ready,
                LinkStatus.Expired => InstallPageState.LinkExpired,
                LinkStatus.Revoked => InstallPageState.LinkRevoked,
                LinkStatus.BuildRevoked => InstallPageState.BuildRevoked,
                LinkStatus.DownloadLimitReached => InstallPageState.DownloadLimitReached,
                _ => InstallPageState.ProfileExpired,
            });
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult UnknownLink() =>
        TypedResults.Text("Unknown install link.", "text/plain", statusCode: StatusCodes.Status404NotFound);

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Gone(ResolvedLink resolved) => Gone(resolved.Status);

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Gone(LinkStatus status) => TypedResults.Text(status switch
    {
        LinkStatus.Expired => "This install link has expired. Ask the bot for a new one.",
        LinkStatus.Revoked => "This install link has been revoked.",
        LinkStatus.BuildRevoked => "This build has been revoked.",
        LinkStatus.DownloadLimitReached => "This install link has reached its download limit.",
        LinkStatus.ProfileExpired => "This build's provisioning profile has expired; it can no longer be installed.",
        _ => string.Create(CultureInfo.InvariantCulture, $"This install link cannot be used ({status})."),
    }, "text/plain", statusCode: StatusCodes.Status410Gone);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "The artifact of build {BuildId} is missing from the store")]
    private static partial void LogArtifactMissing(ILogger logger, long buildId);
}
