using System.Globalization;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Install;
using ChatOpsBot.Features.Links;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Web.Pages.Builds;

/// <summary>One person's link to the build and how far it got: page, manifest, download started, download completed.</summary>
internal sealed record FunnelRow(
    long LinkId,
    string Platform,
    string? Workspace,
    string UserId,
    string UserName,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime? RevokedAt,
    DateTime? PageOpenedAt,
    DateTime? ManifestFetchedAt,
    DateTime? DownloadStartedAt,
    DateTime? DownloadCompletedAt);

/// <summary>The link just minted for the person at the console; its token exists only in this response.</summary>
internal sealed record PersonalLink(string InstallPageUrl, string QrCodeUrl, DateTime ExpiresAt);

internal sealed class BuildModel(
    ChatOpsBotDb db,
    InstallLinks links,
    BuildRevocation revocation,
    Announcer announcer,
    TimeProvider time) : PageModel
{
    private const int MaxFunnelRows = 500;

    public Build? Build { get; private set; }

    public ConsoleIdentity Person { get; private set; } = null!;

    public bool MayManage => Person.IsAtLeast(ConsoleRole.ReleaseManager);

    public ConsoleProblem? Problem { get; private set; }

    /// <summary>A refusal that leaves the rest of the page as it is (revoke without confirmation, a link for a revoked build).</summary>
    public ConsoleProblem? Notice { get; private set; }

    public PersonalLink? Link { get; private set; }

    public IReadOnlyList<FunnelRow> Funnel { get; private set; } = [];

    public IReadOnlyList<Subscription> Subscriptions { get; private set; } = [];

    public Announcement? Announced { get; private set; }

    public int AnnouncedTo { get; private set; }

    public DateTime Now { get; private set; }

    public Task<IActionResult> OnGetAsync(string id, long? announced, CancellationToken cancellationToken) =>
        RenderAsync(id, announced, cancellationToken);

    /// <summary>"Install on this device": a personal link, minted as chat mints one, for the signed-in person.</summary>
    public async Task<IActionResult> OnPostInstallAsync(string id, CancellationToken cancellationToken)
    {
        Person = ConsoleIdentity.From(User)!;
        if (!TryParse(id, out var buildId))
            return await RenderAsync(id, null, cancellationToken);
        var minted = await links.MintAsync(buildId, new Requester("web", Person.Workspace, Person.UserId, Person.Name), maxDownloads: null, cancellationToken);
        if (minted.Minted is not { } link)
        {
            if (minted.Refusal == MintRefusal.UnknownBuild)
                return await RenderAsync(id, null, cancellationToken);
            Notice = new ConsoleProblem("No link", minted.Reason ?? "No link could be made for this build.");
            Response.StatusCode = StatusCodes.Status409Conflict;
            return await RenderAsync(id, null, cancellationToken);
        }
        // A phone goes straight to the install page; a desktop shows the link's QR code to scan with the phone.
        if (InstallClientDetector.Detect(Request.Headers.UserAgent) != InstallClient.Desktop)
            return Redirect(link.InstallPageUrl);
        Link = new PersonalLink(link.InstallPageUrl, link.QrCodeUrl, link.Link.ExpiresAt);
        return await RenderAsync(id, null, cancellationToken);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string id, [FromForm] string? confirm, CancellationToken cancellationToken)
    {
        Person = ConsoleIdentity.From(User)!;
        if (!MayManage)
            return Refuse("Revoking a build");
        if (!TryParse(id, out var buildId))
            return await RenderAsync(id, null, cancellationToken);
        if (confirm != "yes")
        {
            Notice = new ConsoleProblem("Not revoked", "Tick “Yes, revoke this build” to confirm; the build was not revoked.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return await RenderAsync(id, null, cancellationToken);
        }
        if (await revocation.RevokeAsync(buildId, cancellationToken) is null)
            return await RenderAsync(id, null, cancellationToken);
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostAnnounceAsync(string id, CancellationToken cancellationToken)
    {
        Person = ConsoleIdentity.From(User)!;
        if (!MayManage)
            return Refuse("Announcing a build");
        if (!TryParse(id, out var buildId))
            return await RenderAsync(id, null, cancellationToken);
        var outcome = await announcer.AnnounceAsync(buildId, $"{Person.Name} ({Person.Platform})", cancellationToken);
        switch (outcome)
        {
            case { Announcement: { } announcement }:
                return RedirectToPage(new { id, announced = announcement.Id });
            case { Problem: AnnounceProblem.RevokedBuild }:
                Notice = new ConsoleProblem("Not announced", "This build has been revoked; announce an active build.");
                Response.StatusCode = StatusCodes.Status409Conflict;
                return await RenderAsync(id, null, cancellationToken);
            default:
                return await RenderAsync(id, null, cancellationToken);
        }
    }

    private PageResult Refuse(string what)
    {
        Problem = ConsoleProblem.NotForYourRole(what);
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }

    private static bool TryParse(string id, out long buildId) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out buildId) && buildId > 0;

    private async Task<IActionResult> RenderAsync(string id, long? announced, CancellationToken cancellationToken)
    {
        Person ??= ConsoleIdentity.From(User)!;
        Now = time.GetUtcNow().UtcDateTime;
        Build = TryParse(id, out var buildId)
            ? await db.Builds.AsNoTracking().Include(b => b.App).SingleOrDefaultAsync(b => b.Id == buildId, cancellationToken)
            : null;
        if (Build is null)
        {
            Problem = ConsoleProblem.UnknownBuild(id);
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        if (!MayManage)
            return Page();

        var build = Build;
        Subscriptions = await db.Subscriptions.AsNoTracking()
            .Where(s => s.AppId == build.AppId && s.Channel == build.Channel)
            .OrderBy(s => s.Id).ToListAsync(cancellationToken);
        if (announced is { } announcementId)
        {
            Announced = await db.Announcements.AsNoTracking().SingleOrDefaultAsync(a => a.Id == announcementId && a.BuildId == build.Id, cancellationToken);
            AnnouncedTo = await db.AnnouncementDeliveries.CountAsync(d => d.AnnouncementId == announcementId, cancellationToken);
        }
        // A link for both phones is in the funnels of both its builds, each with the downloads of its own file (rows
        // from before downloads named their build count as the link's first build's); only iOS fetches a manifest.
        var shown = build.Id;
        var fetchesManifest = build.Platform == BuildPlatforms.Ios;
        Funnel = await db.InstallLinks.AsNoTracking()
            .Where(l => l.BuildId == shown || l.SecondBuildId == shown)
            .OrderByDescending(l => l.Id)
            .Take(MaxFunnelRows)
            .Select(l => new FunnelRow(l.Id, l.Platform, l.Workspace, l.UserId, l.UserName, l.CreatedAt, l.ExpiresAt, l.RevokedAt,
                db.LinkEvents.Where(e => e.LinkId == l.Id && e.Kind == LinkEventKind.PageView).Min(e => (DateTime?)e.At),
                fetchesManifest ? db.LinkEvents.Where(e => e.LinkId == l.Id && e.Kind == LinkEventKind.ManifestFetch).Min(e => (DateTime?)e.At) : null,
                db.LinkDownloads.Where(d => d.LinkId == l.Id && (d.BuildId == shown || (d.BuildId == null && l.BuildId == shown))).Min(d => (DateTime?)d.StartedAt),
                db.LinkDownloads.Where(d => d.LinkId == l.Id && d.Completed && (d.BuildId == shown || (d.BuildId == null && l.BuildId == shown))).Min(d => (DateTime?)d.LastActivityAt)))
            .ToListAsync(cancellationToken);
        return Page();
    }
}
