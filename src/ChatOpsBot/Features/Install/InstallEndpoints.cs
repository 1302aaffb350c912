using System.Globalization;
using System.Security.Cryptography;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Links;
using ChatOpsBot.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using QRCoder;

namespace ChatOpsBot.Features.Install;

/// <summary>
/// What a phone fetches: the install page, the manifest, the IPA or APK, the icon and the QR code, all under
/// /i/{token}. The token in the path is the only credential, because iOS's installer sends no cookies.
/// </summary>
internal static partial class InstallEndpoints
{
    public static WebApplicationBuilder AddInstall(this WebApplicationBuilder builder)
    {
        // The install endpoints are what records link events, so their writer is registered with them.
        builder.Services.TryAddSingleton<LinkEventLog>();
        builder.Services.TryAddSingleton<InstallRateLimiter>();
        builder.Services.AddHostedService<LinkEventFlusher>();
        builder.Services.AddHostedService<DeliveryOffloadNotice>();
        return builder;
    }

    public static WebApplication MapInstall(this WebApplication app)
    {
        var install = app.MapGroup("/i/{token}")
            .AddEndpointFilter(async (context, next) =>
            {
                // The token is in the URL: keep it out of caches, referrers and search engines.
                var headers = context.HttpContext.Response.Headers;
                headers.CacheControl = "no-store";
                KeepTokenPrivate(headers);
                return await next(context);
            })
            .ExcludeFromDescription();
        install.MapGet("", Page);
        install.MapGet("/manifest.plist", Manifest);
        install.MapMethods("/app.ipa", [HttpMethods.Get, HttpMethods.Head], Ipa);
        install.MapMethods("/app.apk", [HttpMethods.Get, HttpMethods.Head], Apk);
        install.MapGet("/icon.png", Icon);
        install.MapGet("/qr.png", QrCode);
        return app;
    }

    /// <summary>Keeps an /i/ answer, whose URL carries the token, out of referrers, content sniffing and search engines.</summary>
    internal static void KeepTokenPrivate(IHeaderDictionary headers)
    {
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers["X-Robots-Tag"] = "noindex, nofollow";
    }

    /// <summary>Sets the install page's Content-Security-Policy and returns the nonce its style and script carry.</summary>
    internal static string PageSecurityPolicy(IHeaderDictionary headers)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        headers.ContentSecurityPolicy =
            $"default-src 'none'; img-src 'self'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return nonce;
    }

    internal static async Task<IResult> Page(string token, HttpContext http, InstallLinks links, PublicUrls urls, InstallRateLimiter limiter, ChatOpsBotMetrics metrics,
        Devices.DeviceRegistry devices, TimeProvider time, CancellationToken cancellationToken)
    {
        var nonce = PageSecurityPolicy(http.Response.Headers);
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (!Allowed(http, limiter, resolved?.Link.Id))
            return Html(InstallPage.RenderTooManyRequests(nonce), StatusCodes.Status429TooManyRequests);
        if (resolved is null)
            return Html(InstallPage.RenderNotFound(nonce), StatusCodes.Status404NotFound);

        var userAgent = http.Request.Headers.UserAgent.ToString();
        await links.RecordAsync(resolved.Link.Id, LinkEventKind.PageView, userAgent, cancellationToken);
        var state = StateOf(resolved.Status);
        // A dead link's page says that it is dead and how to get a new one, and nothing about what it was or for whom.
        if (IsDead(resolved.Status))
            return Html(InstallPage.RenderDead(state, nonce), StatusCodes.Status410Gone);
        metrics.InstallStep(InstallStep.Page);
        // The person the link is for: the same verdict chat gave them, without the once-only hint.
        // Only builds with a device list ask the database.
        var warning = resolved.Build is { DeviceListStored: true, ProfileType: ProvisioningProfileType.AdHoc or ProvisioningProfileType.Development }
            ? (await devices.VerdictAsync(new Devices.DeviceOwner(resolved.Link.Platform, resolved.Link.Workspace ?? "", resolved.Link.UserId), resolved.Build.Id, cancellationToken)).Warning
            : null;
        return Html(InstallPage.Render(ModelOf(resolved, urls, state, time.GetUtcNow()) with { DeviceWarning = warning }, InstallClientDetector.Detect(userAgent), nonce), StatusCodes.Status200OK);
    }

    internal static async Task<IResult> Manifest(string token, HttpContext http, InstallLinks links, PublicUrls urls, InstallRateLimiter limiter, ChatOpsBotMetrics metrics, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveForManifestAsync(token, cancellationToken);
        if (!Allowed(http, limiter, resolved?.LinkId))
            return TooManyRequests();
        if (resolved is null)
            return UnknownLink();
        if (resolved.Status != LinkStatus.Ready)
            return Gone(resolved.Status);
        links.RecordInBackground(resolved.LinkId, LinkEventKind.ManifestFetch, http.Request.Headers.UserAgent.ToString());
        metrics.InstallStep(InstallStep.Manifest);
        var manifest = ItmsManifest.Create(new ManifestContent(
            urls.Ipa(token),
            resolved.HasIcon ? urls.Icon(token) : null,
            resolved.BundleId,
            resolved.Version.Length > 0 ? resolved.Version : resolved.BuildNumber,
            resolved.DisplayName,
            $"{resolved.Channel} · build {resolved.BuildNumber}"));
        return TypedResults.Bytes(manifest, "text/xml");
    }

    internal static Task Ipa(string token, HttpContext http, InstallLinks links, IArtifactStore artifacts, InstallRateLimiter limiter, ChatOpsBotMetrics metrics, IOptions<ChatOpsBotOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        DownloadAsync(BuildPlatforms.Ios, token, http, links, artifacts, limiter, metrics, options, loggers, cancellationToken);

    internal static Task Apk(string token, HttpContext http, InstallLinks links, IArtifactStore artifacts, InstallRateLimiter limiter, ChatOpsBotMetrics metrics, IOptions<ChatOpsBotOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        DownloadAsync(BuildPlatforms.Android, token, http, links, artifacts, limiter, metrics, options, loggers, cancellationToken);

    /// <summary>The build's file (app.ipa or app.apk) with ranges, HEAD and offload; the other platform's file name answers 404.</summary>
    private static async Task DownloadAsync(string platform, string token, HttpContext http, InstallLinks links, IArtifactStore artifacts, InstallRateLimiter limiter, ChatOpsBotMetrics metrics, IOptions<ChatOpsBotOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (!Allowed(http, limiter, resolved?.Link.Id))
        {
            await TooManyRequests().ExecuteAsync(http);
            return;
        }
        if (resolved is null)
        {
            await UnknownLink().ExecuteAsync(http);
            return;
        }
        // A link for both phones serves each platform's file from its own build.
        if (resolved.BuildFor(platform) is not { } build)
        {
            await TypedResults.Text(resolved.Build.Platform == BuildPlatforms.Android
                    ? "This link is for an Android build: its file is app.apk."
                    : "This link is for an iOS build: its file is app.ipa.", "text/plain", statusCode: StatusCodes.Status404NotFound).ExecuteAsync(http);
            return;
        }
        if (!links.MayServe(resolved))
        {
            await Gone(resolved.Status).ExecuteAsync(http);
            return;
        }

        var described = platform == BuildPlatforms.Android
            ? DownloadedFile.Apk(resolved.App.Slug, build.Version.Length > 0 ? build.Version : build.BuildNumber)
            : DownloadedFile.Ipa;
        await using var file = await artifacts.OpenRangesAsync(build.Sha256, build.Size, cancellationToken);
        if (file is null)
        {
            LogArtifactMissing(loggers.CreateLogger(typeof(InstallEndpoints)), build.Id);
            await TypedResults.Text("The build's file is missing on the server.", "text/plain", statusCode: StatusCodes.Status500InternalServerError).ExecuteAsync(http);
            return;
        }
        var etag = IpaDownload.ETagOf(build.Sha256);
        var range = IpaDownload.Select(http.Request, file.Length, etag);
        // Past a link's end (used up, or expired within the grace) only a GET may go on, which a download under way
        // then has to pass: a HEAD or an unsatisfiable range would describe the file (size, hash) to anyone.
        if (!DownloadGrace.MayDescribeFile(resolved.Status) && (range is null || HttpMethods.IsHead(http.Request.Method)))
        {
            await Gone(resolved.Status).ExecuteAsync(http);
            return;
        }
        if (range is null)
        {
            IpaDownload.AnswerUnsatisfiable(http.Response, file.Length, etag, described);
            return;
        }
        if (HttpMethods.IsHead(http.Request.Method))
        {
            await IpaDownload.SendAsync(http, file.Length, body: null, etag, described, range.Value, cancellationToken);
            return;
        }
        // Prepared before the download is reserved: a store that cannot be read (or a URL that cannot be signed)
        // answers 503 and costs the link nothing.
        var delivery = options.Value.Delivery;
        var redirect = delivery.Offload == DeliveryOffload.Redirect
            ? await file.PresignedUrlAsync(delivery.RedirectLifetime, described.FileName, described.ContentType)
            : null;
        // With the S3 store nginx fetches the object with a URL signed here, asking for the range the host resolved,
        // so any satisfiable GET can go. From the artifact directory nginx applies the phone's Range itself, so only
        // where it would pick the same bytes.
        var fromStore = delivery.Offload == DeliveryOffload.XAccelRedirect && options.Value.Artifacts.Provider == ArtifactProvider.S3;
        var storeObject = fromStore ? await file.PresignedPathAsync(delivery.RedirectLifetime) : null;
        var handOff = storeObject is not null || (delivery.Offload == DeliveryOffload.XAccelRedirect && !fromStore && IpaDownload.ProxyAgrees(http.Request, etag));
        var body = redirect is null && !handOff ? await file.ReadRangeAsync(range.Value.From, range.Value.Length, cancellationToken) : null;
        // The store or nginx sends a redirected or handed-off response and the host never sees how many bytes left, so
        // it counts as sent in full when it is reserved, and one that reaches the file's end completes the download in
        // the same write: there is nothing to settle afterwards.
        var sentElsewhere = redirect is not null || handOff;
        var reachesEnd = range.Value.To == file.Length - 1;
        var reserved = await links.ReserveDownloadAsync(resolved, build, http.Request.Headers.UserAgent.ToString(),
            new ByteRangeRequest(range.Value.Length, range.Value.Partial, file.Length), completesDownload: sentElsewhere && reachesEnd, cancellationToken);
        if (reserved.Reservation is not { } reservation)
        {
            await Gone(reserved.Refusal).ExecuteAsync(http);
            return;
        }
        // A fresh download starts at byte 0; a resumed one (a later range) is the same download going on.
        if (range.Value.From == 0)
            metrics.InstallStep(InstallStep.DownloadStarted);
        if (sentElsewhere)
        {
            if (redirect is not null)
            {
                http.Response.StatusCode = StatusCodes.Status302Found;
                http.Response.Headers.Location = redirect;
            }
            else if (storeObject is not null)
            {
                IpaDownload.HandOffToStore(http.Response, etag, described, delivery.StoreLocation, range.Value, storeObject);
            }
            else
            {
                IpaDownload.HandOff(http.Response, etag, described, delivery.InternalLocation, build.Sha256, range.Value.Partial);
            }
            if (reachesEnd)
                metrics.InstallStep(InstallStep.DownloadCompleted);
            return;
        }
        (long Bytes, bool ReachedEnd) sent = (0, false);
        try
        {
            sent = await IpaDownload.SendAsync(http, file.Length, body, etag, described, range.Value, cancellationToken);
        }
        finally
        {
            await links.SettleDownloadAsync(reservation, sent.Bytes, sent.ReachedEnd, file.Length);
            if (sent.ReachedEnd)
                metrics.InstallStep(InstallStep.DownloadCompleted);
        }
    }

    internal static async Task<IResult> Icon(string token, HttpContext http, InstallLinks links, IArtifactStore artifacts, InstallRateLimiter limiter, CancellationToken cancellationToken)
    {
        var (resolved, refusal) = await ResolveLiveAsync(token, http, links, limiter, cancellationToken);
        if (resolved is null)
            return refusal!;
        if (resolved.Build.IconSha256 is not { } icon || await artifacts.OpenReadAsync(icon, cancellationToken) is not { } stream)
            return TypedResults.Text("No icon.", "text/plain", statusCode: StatusCodes.Status404NotFound);
        return TypedResults.Stream(stream, resolved.Build.IconContentType);
    }

    internal static async Task<IResult> QrCode(string token, HttpContext http, InstallLinks links, PublicUrls urls, InstallRateLimiter limiter, CancellationToken cancellationToken)
    {
        var (resolved, refusal) = await ResolveLiveAsync(token, http, links, limiter, cancellationToken);
        if (resolved is null)
            return refusal!;
        var png = PngByteQRCodeHelper.GetQRCode(urls.InstallPage(token), QRCodeGenerator.ECCLevel.M, 8);
        return TypedResults.Bytes(png, "image/png");
    }

    /// <summary>The live link behind the token, or the answer that says why there is none (429, 404 or 410).</summary>
    private static async Task<(ResolvedLink? Live, IResult? Refusal)> ResolveLiveAsync(string token, HttpContext http, InstallLinks links, InstallRateLimiter limiter, CancellationToken cancellationToken)
    {
        var resolved = await links.ResolveAsync(token, cancellationToken);
        if (!Allowed(http, limiter, resolved?.Link.Id))
            return (null, TooManyRequests());
        if (resolved is null)
            return (null, UnknownLink());
        return IsDead(resolved.Status) ? (null, Gone(resolved.Status)) : (resolved, null);
    }

    /// <summary>A link that can no longer install anything; a build whose profile expired is shown, not dead.</summary>
    private static bool IsDead(LinkStatus status) =>
        status is LinkStatus.Expired or LinkStatus.Revoked or LinkStatus.BuildRevoked or LinkStatus.DownloadLimitReached;

    /// <summary>Spends one request of the client's budget: the link's when the token matched one, else the unknown tokens'.</summary>
    private static bool Allowed(HttpContext http, InstallRateLimiter limiter, long? linkId)
    {
        if (limiter.TryAcquire(http.Connection.RemoteIpAddress, linkId, out var retryAfter))
            return true;
        SetRetryAfter(http, retryAfter);
        return false;
    }

    internal static void SetRetryAfter(HttpContext http, TimeSpan retryAfter) =>
        http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static InstallPageState StateOf(LinkStatus status) => status switch
    {
        LinkStatus.Ready => InstallPageState.Ready,
        LinkStatus.Expired => InstallPageState.LinkExpired,
        LinkStatus.Revoked => InstallPageState.LinkRevoked,
        LinkStatus.BuildRevoked => InstallPageState.BuildRevoked,
        LinkStatus.DownloadLimitReached => InstallPageState.DownloadLimitReached,
        _ => InstallPageState.ProfileExpired,
    };

    private static ContentHttpResult Html(string html, int status) => TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);

    private static InstallPageModel ModelOf(ResolvedLink resolved, PublicUrls urls, InstallPageState state, DateTimeOffset now)
    {
        var (link, build, token) = (resolved.Link, resolved.Build, resolved.Token);
        return new InstallPageModel(
            resolved.App.Slug, build.DisplayName, build.Version, build.BuildNumber, build.Channel, build.Notes,
            build.IconSha256 is not null,
            urls.InstallPage(token), urls.Manifest(token), urls.ItmsServices(token), urls.Icon(token), urls.QrCode(token),
            link.UserName, new DateTimeOffset(link.ExpiresAt, TimeSpan.Zero),
            build.ProfileType, build.ProfileExpiresAt is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) : null,
            build.ProfileDeviceCount,
            state)
        {
            Platform = resolved.Second is null ? build.Platform : InstallPageModel.BothPlatforms,
            ApkUrl = resolved.BuildFor(BuildPlatforms.Android) is not null ? urls.Apk(token) : null,
            Android = resolved.Second is { } android ? new AndroidBuildSummary(android.Version, android.BuildNumber) : null,
            // A link for both phones stays ready for the APK when the iOS build's profile has expired; the iOS part says so.
            IosProfileExpired = resolved.Second is not null && build.ProfileExpiresAt is { } profileExpiry && profileExpiry <= now.UtcDateTime,
        };
    }

    private static ContentHttpResult UnknownLink() =>
        TypedResults.Text("Unknown install link.", "text/plain", statusCode: StatusCodes.Status404NotFound);

    internal static ContentHttpResult TooManyRequests() =>
        TypedResults.Text("Too many requests from your address. Try again in a minute.", "text/plain", statusCode: StatusCodes.Status429TooManyRequests);

    private static ContentHttpResult Gone(LinkStatus status) => TypedResults.Text(status switch
    {
        LinkStatus.Expired => "This install link has expired. Ask the bot for a new one.",
        LinkStatus.Revoked => "This install link has been revoked. Ask the bot for a new one.",
        LinkStatus.BuildRevoked => "This build has been revoked. Ask the bot for a new link.",
        LinkStatus.DownloadLimitReached => "This install link has reached its download limit. Ask the bot for a new one.",
        LinkStatus.ProfileExpired => "This build's provisioning profile has expired; it can no longer be installed.",
        _ => string.Create(CultureInfo.InvariantCulture, $"This install link cannot be used ({status})."),
    }, "text/plain", statusCode: StatusCodes.Status410Gone);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "The artifact of build {BuildId} is missing from the store")]
    private static partial void LogArtifactMissing(ILogger logger, long buildId);
}
