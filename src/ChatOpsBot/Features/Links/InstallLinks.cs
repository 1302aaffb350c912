using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Links;
using ChatOpsBot.Data;
using ChatOpsBot.Features.LinkMessages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Links;

/// <summary>Mints, resolves and records install links. Chat adapters and the API use the same service.</summary>
internal sealed partial class InstallLinks(
    ChatOpsBotDb db,
    LinkEventLog events,
    IManifestLookup manifestLookup,
    PublicUrls urls,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options,
    DeadLinkMessages deadLinks,
    Telemetry.ChatOpsBotMetrics metrics,
    ILogger<InstallLinks> logger)
{
    private TimeSpan Grace => options.Value.Links.DownloadGrace;

    /// <summary>
    /// Mints a link to the newest active build of an app in the named channel or, when none is named, in the channel
    /// <see cref="DefaultChannelRule"/> chooses, as chat's "install &lt;app&gt;" does.
    /// </summary>
    public async Task<MintResult> MintForAppAsync(string appSlug, string? channel, Requester requester, int? maxDownloads, CancellationToken cancellationToken, string? platform = null)
    {
        if (platform is not (null or BuildPlatforms.Ios or BuildPlatforms.Android))
            return MintResult.Refused(MintRefusal.PlatformNeeded, "platform is 'ios' or 'android' when given.");
        var app = await db.Apps.AsNoTracking().Where(a => a.Slug == appSlug)
            .Select(a => new { a.Id, a.DefaultChannel }).SingleOrDefaultAsync(cancellationToken);
        if (app is null)
            return MintResult.Refused(MintRefusal.UnknownApp, $"There is no app '{appSlug}'.");
        var active = await db.Builds.AsNoTracking().Where(b => b.AppId == app.Id && b.State == BuildState.Active)
            .GroupBy(b => b.Channel)
            .Select(g => new { Channel = g.Key, Count = g.Count(), Latest = g.Max(b => b.UploadedAt) })
            .ToListAsync(cancellationToken);
        var channels = active.Select(c => new CatalogChannel(c.Channel, c.Count, new DateTimeOffset(c.Latest, TimeSpan.Zero)))
            .OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var chosen = channel is { Length: > 0 } named ? named : DefaultChannelRule.Choose(app.DefaultChannel, channels);
        var newest = chosen is null ? [] : await NewestActiveBuildsAsync(app.Id, chosen, platform, cancellationToken);
        var build = newest.FirstOrDefault();
        if (build is null)
            return MintResult.Refused(MintRefusal.NoActiveBuild, channels.Count == 0
                ? $"'{appSlug}' has no active builds."
                : $"'{appSlug}' has no active {(platform is null ? "" : platform == BuildPlatforms.Android ? "Android " : "iOS ")}build in channel '{chosen}'. Channels with builds: {string.Join(", ", channels.Select(c => c.Name))}.");
        // Newest per platform: with builds of both in the channel, one link for both phones (iOS first).
        return await MintAsync(build.Id, requester, maxDownloads, cancellationToken, secondBuildId: newest.Count > 1 ? newest[1].Id : null);
    }

    /// <summary>
    /// Mints a link to the build, living <c>ChatOpsBot:Links:Lifetime</c> unless a lifetime is given (the doctor's
    /// probe links live minutes). With <paramref name="secondBuildId"/>, the link is for both phones: the build is the
    /// iOS one and the second the Android one.
    /// </summary>
    public async Task<MintResult> MintAsync(long buildId, Requester requester, int? maxDownloads, CancellationToken cancellationToken, TimeSpan? lifetime = null, long? secondBuildId = null)
    {
        var builds = new List<LinkBuild>(2);
        foreach (var id in secondBuildId is { } second ? [buildId, second] : (long[])[buildId])
        {
            var brief = await BuildStateOf.For(db)(db, id, cancellationToken);
            if (brief is null)
                return MintResult.Refused(MintRefusal.UnknownBuild, $"There is no build {id}.");
            if (brief.State == BuildState.Revoked)
                return MintResult.Refused(MintRefusal.BuildRevoked, $"Build {id} has been revoked; links cannot be minted for it.");
            builds.Add(new LinkBuild(id, brief.Platform));
        }
        if (builds is [_, _] && (builds[0].Platform, builds[1].Platform) != (BuildPlatforms.Ios, BuildPlatforms.Android))
            throw new InvalidOperationException($"A link for both phones is an iOS build and an Android build; builds {buildId} and {secondBuildId} are not.");
        if (maxDownloads is < 1)
            return MintResult.Refused(MintRefusal.InvalidDownloadCap, "maxDownloads must be at least 1 when given.");

        var now = time.GetUtcNow().UtcDateTime;
        var (token, hash) = InstallToken.Create();
        var link = new InstallLink
        {
            BuildId = buildId,
            SecondBuildId = secondBuildId,
            TokenHash = hash,
            Platform = requester.Platform,
            Workspace = requester.Workspace,
            UserId = requester.UserId,
            UserName = requester.UserName,
            CreatedAt = now,
            ExpiresAt = now + (lifetime ?? options.Value.Links.Lifetime),
            MaxDownloads = maxDownloads,
        };
        // Every chat /install mints one; committed together with concurrent mints, as link events are.
        await events.AddAsync(db, link, cancellationToken);
        if (secondBuildId is { } android)
            LogBothPhonesLinkMinted(link.Id, buildId, android, requester.Platform, link.ExpiresAt);
        else
            LogLinkMinted(link.Id, buildId, requester.Platform, link.ExpiresAt);
        metrics.LinkMinted(requester.Platform.ToLowerInvariant());
        return MintResult.Of(new MintedLink(link, token, urls.InstallPage(token), urls.Manifest(token), urls.ItmsServices(token), urls.QrCode(token)) { Builds = builds });
    }

    private sealed record BuildBrief(BuildState State, string Platform);

    private static readonly CompiledPerModel<Func<ChatOpsBotDb, long, CancellationToken, Task<BuildBrief?>>> BuildStateOf =
        new(() => EF.CompileAsyncQuery((ChatOpsBotDb db, long buildId, CancellationToken cancellationToken) => db.Builds
            .Where(b => b.Id == buildId).Select(b => new BuildBrief(b.State, b.Platform)).SingleOrDefault()));

    private async Task<List<Build>> NewestActiveBuildsAsync(long appId, string channel, string? platform, CancellationToken cancellationToken)
    {
        var newest = new List<Build>(2);
        foreach (var p in platform is null ? [BuildPlatforms.Ios, BuildPlatforms.Android] : (string[])[platform])
        {
            if (await db.Builds.AsNoTracking()
                    .Where(b => b.AppId == appId && b.Channel == channel && b.State == BuildState.Active && b.Platform == p)
                    .OrderByDescending(b => b.Id)
                    .FirstOrDefaultAsync(cancellationToken) is { } build)
                newest.Add(build);
        }
        return newest;
    }

    public async Task<ResolvedLink?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (InstallToken.HashOf(token) is not { } hash)
            return null;
        var found = await FindByTokenHash.For(db)(db, hash, cancellationToken);
        if (found is null)
            return null;
        return new ResolvedLink(found.Link, found.Build, found.App, token, StatusAt(found.Link, found.Build, found.Second, found.Downloads), found.Downloads)
        {
            Second = found.Second,
        };
    }

    private sealed record Found(InstallLink Link, Build Build, Build? Second, App App, int Downloads);

    // Every phone request starts here; compiled once, it skips EF's per-call expression tree walk and cache lookup.
    private static readonly CompiledPerModel<Func<ChatOpsBotDb, byte[], CancellationToken, Task<Found?>>> FindByTokenHash =
        new(() => EF.CompileAsyncQuery((ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken) => db.InstallLinks.AsNoTracking()
            .Where(l => l.TokenHash == hash)
            .Select(l => new Found(l, l.Build, l.SecondBuild, l.Build.App, db.LinkDownloads.Count(d => d.LinkId == l.Id)))
            .SingleOrDefault()));

    // A link for both phones dies with either build (revoking one revokes the link too; this covers rows from before).
    // Only the iOS build has a profile: its expiry is shown on the page, and the APK stays installable.
    private LinkStatus StatusAt(InstallLink link, Build build, Build? second, int downloads) =>
        StatusAt(link.RevokedAt, second?.State == BuildState.Revoked ? BuildState.Revoked : build.State, link.ExpiresAt, link.MaxDownloads, downloads,
            second is null ? build.ProfileExpiresAt : null);

    private LinkStatus StatusAt(DateTime? revokedAt, BuildState buildState, DateTime expiresAt, int? maxDownloads, int downloads, DateTime? profileExpiresAt)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (revokedAt is not null)
            return LinkStatus.Revoked;
        if (buildState == BuildState.Revoked)
            return LinkStatus.BuildRevoked;
        if (now >= expiresAt)
            return LinkStatus.Expired;
        if (maxDownloads is { } cap && downloads >= cap)
            return LinkStatus.DownloadLimitReached;
        if (profileExpiresAt is { } profileExpiry && now >= profileExpiry)
            return LinkStatus.ProfileExpired;
        return LinkStatus.Ready;
    }

    /// <summary>The manifest's own lookup: only what the manifest needs, through prepared statements.</summary>
    public async Task<ManifestLink?> ResolveForManifestAsync(string token, CancellationToken cancellationToken)
    {
        if (InstallToken.HashOf(token) is not { } hash)
            return null;
        if (await manifestLookup.FindAsync(db, hash, cancellationToken) is not { } row)
            return null;
        var status = StatusAt(row.RevokedAt, row.BuildState, row.ExpiresAt, row.MaxDownloads, row.Downloads, row.ProfileExpiresAt);
        return new ManifestLink(row.LinkId, status, row.HasIcon, row.BundleId, row.Version, row.BuildNumber, row.DisplayName, row.Channel);
    }

    /// <summary>
    /// Records an event without waiting for its commit: manifest fetches are the hottest path, and their audit row
    /// may land a moment after the response (a crash can lose the last few).
    /// </summary>
    public void RecordInBackground(long linkId, LinkEventKind kind, string? userAgent) =>
        events.Post(new LinkEvent { LinkId = linkId, Kind = kind, At = time.GetUtcNow().UtcDateTime, UserAgent = Truncate(userAgent) });

    public Task RecordAsync(long linkId, LinkEventKind kind, string? userAgent, CancellationToken cancellationToken) =>
        events.AddAsync(db, new LinkEvent { LinkId = linkId, Kind = kind, At = time.GetUtcNow().UtcDateTime, UserAgent = Truncate(userAgent) }, cancellationToken);

    /// <summary>Whether the link's IPA may be asked for at all, by <see cref="DownloadGrace.MayServe"/>.</summary>
    public bool MayServe(ResolvedLink resolved) =>
        DownloadGrace.MayServe(resolved.Status, resolved.Link.ExpiresAt, Grace, time.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Reserves the bytes of one response on a download of the link, or says why the link may not serve them.
    /// A request without a range starts a new download, which takes one of the link's <c>maxDownloads</c>; a range
    /// request continues the same client's unfinished download, and a download sends at most
    /// <see cref="DownloadBudget"/> times the file in all, so one interrupted download resumes while endless
    /// near-complete ranges stop, and a cap of N serves at most about 2 × N files. After expiry only a download that
    /// began in time may continue, with ranges, for the grace period. <c>completesDownload</c> says the response is
    /// handed off (the proxy or the store sends the bytes, which count as sent in full, so it is never settled) and
    /// reaches the file's end: it completes the download in this same write once the download has sent the file's size.
    /// </summary>
    /// <remarks><paramref name="build"/> is the build whose file is sent: one of the link's, recorded on the download.</remarks>
    public async Task<ReservationResult> ReserveDownloadAsync(ResolvedLink resolved, Build build, string? userAgent, ByteRangeRequest request, bool completesDownload, CancellationToken cancellationToken)
    {
        var link = resolved.Link;
        var now = time.GetUtcNow().UtcDateTime;
        // A refusal on an expired link means the request came too late; on any other, the downloads or the budget are used up.
        var refused = ReservationResult.Refused(resolved.Status == LinkStatus.Expired ? LinkStatus.Expired : LinkStatus.DownloadLimitReached);
        if (!DownloadGrace.MayReserve(resolved.Status, request.Partial, link.ExpiresAt, Grace, now))
            return refused;
        userAgent = Truncate(userAgent);

        if (request.Partial)
        {
            var open = await db.LinkDownloads.AsNoTracking()
                .Where(d => d.LinkId == link.Id && d.UserAgent == userAgent && !d.Completed && (d.BuildId == build.Id || d.BuildId == null))
                .OrderByDescending(d => d.Id)
                .Select(d => new { d.Id, d.StartedAt })
                .FirstOrDefaultAsync(cancellationToken);
            if (open is not null && DownloadGrace.MayContinue(resolved.Status, open.StartedAt, link.ExpiresAt))
            {
                // One statement, so concurrent ranges of one download cannot overdraw it together.
                var budget = DownloadBudget * request.FileSize;
                var reserved = await db.LinkDownloads
                    .Where(d => d.Id == open.Id && !d.Completed && d.BytesSent + request.Length <= budget)
                    .ExecuteUpdateAsync(d => d
                        .SetProperty(x => x.BytesSent, x => x.BytesSent + request.Length)
                        .SetProperty(x => x.LastActivityAt, now)
                        .SetProperty(x => x.Completed, x => completesDownload && x.BytesSent + request.Length >= request.FileSize), cancellationToken);
                if (reserved == 1)
                    return ReservationResult.Of(new DownloadReservation(open.Id, request.Length));
            }
        }
        if (!DownloadGrace.MayStart(resolved.Status))
            return refused;
        if (link.MaxDownloads is not { } cap)
            return ReservationResult.Of(await StartDownloadAsync(link.Id, build.Id, userAgent, request.Length, completesDownload && request.Length >= request.FileSize, now, cancellationToken));

        // Writing the link's row first takes its write lock (SQLite's database lock, PostgreSQL's row lock) before
        // the count is read, so concurrent requests for a capped link start downloads one after another. On
        // PostgreSQL that needs read committed (which Npgsql also picks when no level is given, whatever the
        // database's default): each statement reads what was committed when it began, so the count that follows the
        // lock sees the download the previous holder started; under repeatable read the update would fail instead.
        // Through the execution strategy, which on PostgreSQL runs the whole transaction again after a transient
        // failure (a pooled connection a server restart broke), rather than its statements one by one.
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            await using var transaction = db.Database.IsNpgsql()
                ? await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct)
                : await db.Database.BeginTransactionAsync(ct);
            if (await db.InstallLinks.Where(l => l.Id == link.Id).ExecuteUpdateAsync(l => l.SetProperty(x => x.MaxDownloads, x => x.MaxDownloads), ct) == 0
                || await db.LinkDownloads.CountAsync(d => d.LinkId == link.Id, ct) >= cap)
                return refused;
            var started = await StartDownloadAsync(link.Id, build.Id, userAgent, request.Length, completesDownload && request.Length >= request.FileSize, now, ct);
            await transaction.CommitAsync(ct);
            return ReservationResult.Of(started);
        }, cancellationToken);
    }

    private async Task<DownloadReservation> StartDownloadAsync(long linkId, long buildId, string? userAgent, long bytes, bool completed, DateTime now, CancellationToken cancellationToken)
    {
        var download = db.LinkDownloads.Add(new LinkDownload
        {
            LinkId = linkId, BuildId = buildId, StartedAt = now, LastActivityAt = now, UserAgent = userAgent, BytesSent = bytes, Completed = completed,
        }).Entity;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return new DownloadReservation(download.Id, bytes);
        }
        finally
        {
            // Also when the save failed, so a retry of the reservation does not insert this row as well as its own.
            db.Entry(download).State = EntityState.Detached;
        }
    }

    /// <summary>How many times the file one download may send in all, its retries and resumptions included.</summary>
    public const int DownloadBudget = 2;

    /// <summary>Replaces a reservation with the bytes that actually left; a download is complete once its last byte has.</summary>
    public Task SettleDownloadAsync(DownloadReservation reservation, long sent, bool reachedEnd, long fileSize)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var unsent = reservation.Bytes - sent;
        // Not cancellable: the response is over, and what it sent must be recorded whether or not the client stayed.
        return db.LinkDownloads.Where(d => d.Id == reservation.DownloadId).ExecuteUpdateAsync(d => d
            .SetProperty(x => x.BytesSent, x => x.BytesSent - unsent)
            .SetProperty(x => x.LastActivityAt, now)
            .SetProperty(x => x.Completed, x => x.Completed || (reachedEnd && x.BytesSent - unsent >= fileSize)), CancellationToken.None);
    }

    public async Task<bool> RevokeAsync(long linkId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var link = await db.InstallLinks.SingleOrDefaultAsync(l => l.Id == linkId, cancellationToken);
        if (link is null)
            return false;
        link.RevokedAt ??= now;
        await db.SaveChangesAsync(cancellationToken);
        await deadLinks.QueueAsync(cancellationToken);
        return true;
    }

    /// <summary>Revoking a build revokes every live link to it at once, links for both phones it is one of included.</summary>
    public async Task<int> RevokeForBuildAsync(long buildId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await db.InstallLinks.Where(l => (l.BuildId == buildId || l.SecondBuildId == buildId) && l.RevokedAt == null)
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.RevokedAt, now), cancellationToken);
        await deadLinks.QueueAsync(cancellationToken);
        return revoked;
    }

    private static string? Truncate(string? userAgent) => userAgent is { Length: > 512 } ? userAgent[..512] : userAgent;

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Minted link {LinkId} for both phones: iOS build {BuildId}, Android build {SecondBuildId} ({Platform}), expires {ExpiresAt:o}")]
    private partial void LogBothPhonesLinkMinted(long linkId, long buildId, long secondBuildId, string platform, DateTime expiresAt);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Minted link {LinkId} for build {BuildId} ({Platform}), expires {ExpiresAt:o}")]
    private partial void LogLinkMinted(long linkId, long buildId, string platform, DateTime expiresAt);
}
