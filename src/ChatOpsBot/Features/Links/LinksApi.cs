using System.Security.Claims;
using ChatOpsBot.Data;
using ChatOpsBot.Features.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Links;

/// <summary>
/// A link request. Where the channel has an iOS and an Android build, the link covers both unless <c>platform</c>
/// (ios or android) picks one.
/// </summary>
internal sealed record MintLinkRequest(string? Channel, int? MaxDownloads, string? RequestedFor, string? Platform = null);

/// <summary>
/// A minted link. <c>buildId</c> is its (first) build; <c>builds</c> and <c>platforms</c> say what it covers: one
/// build, or for a link for both phones the iOS build and the Android build.
/// </summary>
internal sealed record LinkResponse(long Id, long BuildId, string InstallPageUrl, string ManifestUrl, string ItmsServicesUrl, string QrCodeUrl, DateTime ExpiresAt,
    LinkBuildResponse[] Builds, string[] Platforms)
{
    public static LinkResponse From(MintedLink minted) => new(minted.Link.Id, minted.Link.BuildId, minted.InstallPageUrl,
        minted.ManifestUrl, minted.ItmsServicesUrl, minted.QrCodeUrl, minted.Link.ExpiresAt,
        [.. minted.Builds.Select(b => new LinkBuildResponse(b.Id, b.Platform))], [.. minted.Builds.Select(b => b.Platform)]);
}

internal sealed record LinkBuildResponse(long Id, string Platform);

internal sealed record LinkActivityResponse(
    long Id,
    long BuildId,
    string App,
    string Channel,
    RequesterResponse RequestedFor,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime? RevokedAt,
    int? MaxDownloads,
    LinkEventResponse[] PageViews,
    LinkEventResponse[] ManifestFetches,
    DownloadResponse[] Downloads,
    LinkBuildResponse[] Builds,
    string[] Platforms);

internal sealed record RequesterResponse(string Platform, string? Workspace, string UserId, string UserName);

internal sealed record LinkEventResponse(DateTime At, string? UserAgent);

/// <summary>One download through a link: which build's file (and so which platform), and how far it went.</summary>
internal sealed record DownloadResponse(DateTime StartedAt, DateTime LastActivityAt, string? UserAgent, long BytesSent, bool Completed, long BuildId, string Platform);

internal static class LinksApi
{
    public static WebApplicationBuilder AddLinks(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddScoped<InstallLinks>();
        return builder;
    }

    public static WebApplication MapLinksApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyAuthentication.AnyKey)
            .WithTags("Links")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/builds/{id:long}/links", MintForBuild)
            .WithSummary("Mint a personal, expiring install link for a build");
        api.MapPost("/apps/{app}/links", MintForApp)
            .WithSummary("Mint an install link for the newest active build of an app in a channel (of each platform: one link for both phones)");
        api.MapGet("/links/{id:long}", GetLink)
            .WithSummary("A link's requester, expiry and activity: page views, manifest fetches, downloads");
        api.MapDelete("/links/{id:long}", RevokeLink)
            .RequireAuthorization(ApiKeyAuthentication.ReleaseManager)
            .WithSummary("Revoke a link (ReleaseManager or Admin)");
        return app;
    }

    internal static async Task<Results<Created<LinkResponse>, ProblemHttpResult>> MintForBuild(
        long id, MintLinkRequest? request, ClaimsPrincipal user, InstallLinks links, CancellationToken cancellationToken) =>
        ToResult(await links.MintAsync(id, RequesterOf(user, request), request?.MaxDownloads, cancellationToken));

    internal static async Task<Results<Created<LinkResponse>, ProblemHttpResult>> MintForApp(
        string app, MintLinkRequest? request, ClaimsPrincipal user, InstallLinks links, CancellationToken cancellationToken) =>
        ToResult(await links.MintForAppAsync(app, request?.Channel, RequesterOf(user, request), request?.MaxDownloads, cancellationToken, request?.Platform));

    internal static async Task<Results<Ok<LinkActivityResponse>, ProblemHttpResult>> GetLink(long id, ChatOpsBotDb db, CancellationToken cancellationToken)
    {
        var link = await db.InstallLinks.AsNoTracking().Include(l => l.Build).ThenInclude(b => b.App).Include(l => l.SecondBuild)
            .SingleOrDefaultAsync(l => l.Id == id, cancellationToken);
        if (link is null)
            return TypedResults.Problem($"There is no link {id}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown link");
        var events = await db.LinkEvents.AsNoTracking().Where(e => e.LinkId == id).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var downloads = await db.LinkDownloads.AsNoTracking().Where(d => d.LinkId == id).OrderBy(d => d.Id).ToListAsync(cancellationToken);
        Build[] builds = link.SecondBuild is { } second ? [link.Build, second] : [link.Build];
        // Downloads from before they named their build were of the link's one build.
        string PlatformOf(long buildId) => builds.FirstOrDefault(b => b.Id == buildId)?.Platform ?? link.Build.Platform;
        return TypedResults.Ok(new LinkActivityResponse(
            link.Id, link.BuildId, link.Build.App.Slug, link.Build.Channel,
            new RequesterResponse(link.Platform, link.Workspace, link.UserId, link.UserName),
            link.CreatedAt, link.ExpiresAt, link.RevokedAt, link.MaxDownloads,
            [.. events.Where(e => e.Kind == LinkEventKind.PageView).Select(e => new LinkEventResponse(e.At, e.UserAgent))],
            [.. events.Where(e => e.Kind == LinkEventKind.ManifestFetch).Select(e => new LinkEventResponse(e.At, e.UserAgent))],
            [.. downloads.Select(d => new DownloadResponse(d.StartedAt, d.LastActivityAt, d.UserAgent, d.BytesSent, d.Completed,
                d.BuildId ?? link.BuildId, PlatformOf(d.BuildId ?? link.BuildId)))],
            [.. builds.Select(b => new LinkBuildResponse(b.Id, b.Platform))], [.. builds.Select(b => b.Platform)]));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeLink(long id, InstallLinks links, CancellationToken cancellationToken) =>
        await links.RevokeAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.Problem($"There is no link {id}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown link");

    private static Requester RequesterOf(ClaimsPrincipal user, MintLinkRequest? request)
    {
        var key = user.Identity?.Name ?? "api";
        return new Requester("api", null, key, request?.RequestedFor is { Length: > 0 and <= 255 } name ? name : key);
    }

    private static Results<Created<LinkResponse>, ProblemHttpResult> ToResult(MintResult outcome)
    {
        if (outcome.Minted is { } minted)
            return TypedResults.Created($"/api/v1/links/{minted.Link.Id}", LinkResponse.From(minted));
        var (status, title) = outcome.Refusal switch
        {
            MintRefusal.UnknownApp => (StatusCodes.Status404NotFound, "Unknown app"),
            MintRefusal.NoActiveBuild => (StatusCodes.Status404NotFound, "No build in that channel"),
            MintRefusal.UnknownBuild => (StatusCodes.Status404NotFound, "Unknown build"),
            MintRefusal.BuildRevoked => (StatusCodes.Status409Conflict, "Build revoked"),
            MintRefusal.PlatformNeeded => (StatusCodes.Status400BadRequest, "Platform needed"),
            _ => (StatusCodes.Status400BadRequest, "Invalid download cap"),
        };
        return TypedResults.Problem(outcome.Reason, statusCode: status, title: title);
    }
}
