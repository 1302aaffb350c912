using System.Collections.Concurrent;
using ChatOpsBot.Core.Links;
using ChatOpsBot.Data;
using ChatOpsBot.Features.LinkMessages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Links;

/// <summary>The person a link is minted for: chat platform, workspace or tenant, user id and display name.</summary>
internal sealed record Requester(string Platform, string? Workspace, string UserId, string UserName);

/// <summary>A freshly minted link. The token exists only here: the database keeps its hash.</summary>
internal sealed record MintedLink(InstallLink Link, string Token, string InstallPageUrl, string ManifestUrl, string ItmsServicesUrl, string QrCodeUrl);

internal sealed record MintOutcome(MintedLink? Minted, int Status, string? Title, string? Detail)
{
    public static MintOutcome Problem(int status, string title, string detail) => new(null, status, title, detail);
}

internal enum LinkStatus
{
    Ready,
    Expired,
    Revoked,
    BuildRevoked,
    DownloadLimitReached,
    ProfileExpired,
}

/// <summary>A token that matched a link, with what it points at.</summary>
internal sealed record ResolvedLink(InstallLink Link, Build Build, App App, string Token, LinkStatus Status, int Downloads);

/// <summary>Mints, resolves and records install links. Chat adapters and the API use the same service.</summary>
internal sealed partial class InstallLinks(
    ChatOpsBotDb db,
    LinkEventLog events,
    PublicUrls urls,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options,
    DeadLinkMessages deadLinks,
    ILogger<InstallLinks> logger)
{
    public TimeSpan DownloadGrace => options.Value.Links.DownloadGrace;

    public async Task<MintOutcome> MintAsync(long buildId, Requester requester, int? maxDownloads, CancellationToken cancellationToken)
    {
        var state = await BuildStateOf(db, buildId, cancellationToken);
        if (state is null)
            return MintOutcome.Problem(StatusCodes.Status404NotFound, "Unknown build", $"There is no build {buildId}.");
        if (state == BuildState.Revoked)
            return MintOutcome.Problem(StatusCodes.Status409Conflict, "Build revoked", $"Build {buildId} has been revoked; links cannot be minted for it.");
        if (maxDownloads is < 1)
            return MintOutcome.Problem(StatusCodes.Status400BadRequest, "Invalid download cap", "maxDownloads must be at least 1 when given.");

        var now = time.GetUtcNow().UtcDateTime;
        var (token, hash) = InstallToken.Create();
        var link = new InstallLink
        {
            BuildId = buildId,
            TokenHash = hash,
            Platform = requester.Platform,
            Workspace = requester.Workspace,
            UserId = requester.UserId,
            UserName = requester.UserName,
            CreatedAt = now,
            ExpiresAt = now + options.Value.Links.Lifetime,
            MaxDownloads = maxDownloads,
        };
        // Every chat /install mints one; committed together with concurrent mints, as link events are.
        await events.AddAsync(db, link, cancellationToken);
        LogLinkMinted(link.Id, buildId, requester.Platform, link.ExpiresAt);
        return new MintOutcome(
            new MintedLink(link, token, urls.InstallPage(token), urls.Manifest(token), urls.ItmsServices(token), urls.QrCode(token)),
            StatusCodes.Status201Created, null, null);
    }

    private static readonly Func<ChatOpsBotDb, long, CancellationToken, Task<BuildState?>> BuildStateOf =
        EF.CompileAsyncQuery((ChatOpsBotDb db, long buildId, CancellationToken cancellationToken) => db.Builds
            .Where(b => b.Id == buildId).Select(b => (BuildState?)b.State).SingleOrDefault());

    /// <summary>The newest active build of an app in a channel.</summary>
    public Task<Build?> NewestActiveBuildAsync(long appId, string channel, CancellationToken cancellationToken) =>
        db.Builds.AsNoTracking()
            .Where(b => b.AppId == appId && b.Channel == channel && b.State == BuildState.Active)
            .OrderByDescending(b => b.Id)
            .FirstOrDefaultAsync(cancellationToken);

    public async Task<ResolvedLink?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        if (InstallToken.HashOf(token) is not { } hash)
            return null;
        var found = await FindByTokenHash(db, hash, cancellationToken);
        if (found is null)
            return null;
        return new ResolvedLink(found.Link, found.Build, found.App, token, StatusAt(found.Link, found.Build, found.Downloads), found.Downloads);
    }

    private sealed record Found(InstallLink Link, Build Build, App App, int Downloads);

    // Every phone request starts here; compiled once, it skips EF's per-call expression tree walk and cache lookup.
    private static readonly Func<ChatOpsBotDb, byte[], CancellationToken, Task<Found?>> FindByTokenHash =
        EF.CompileAsyncQuery((ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken) => db.InstallLinks.AsNoTracking()
            .Where(l => l.TokenHash == hash)
            .Select(l => new Found(l, l.Build, l.Build.App, db.LinkDownloads.Count(d => d.LinkId == l.Id)))
            .SingleOrDefault());

    private LinkStatus StatusAt(InstallLink link, Build build, int downloads)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (link.RevokedAt is not null)
            return LinkStatus.Revoked;
        if (build.State == BuildState.Revoked)
            return LinkStatus.BuildRevoked;
        if (now >= link.ExpiresAt)
            return LinkStatus.Expired;
        if (link.MaxDownloads is { } cap && downloads >= cap)
            return LinkStatus.DownloadLimitReached;
        if (build.ProfileExpiresAt is { } profileExpiry && now >= profileExpiry)
            return LinkStatus.ProfileExpired;
        return LinkStatus.Ready;
    }

    public Task RecordAsync(long linkId, LinkEventKind kind, string? userAgent, CancellationToken cancellationToken) =>
        events.AddAsync(db, new LinkEvent { LinkId = linkId, Kind = kind, At = time.GetUtcNow().UtcDateTime, UserAgent = Truncate(userAgent) }, cancellationToken);

    /// <summary>
    /// The download this request belongs to: the same client's unfinished download of this link, or a new one when
    /// the link may start one. Null when the request may not download.
    /// </summary>
    public async Task<long?> DownloadForAsync(ResolvedLink resolved, string? userAgent, bool isRange, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        userAgent = Truncate(userAgent);
        var open = await db.LinkDownloads.AsNoTracking()
            .Where(d => d.LinkId == resolved.Link.Id && d.UserAgent == userAgent && !d.Completed)
            .OrderByDescending(d => d.Id)
            .Select(d => new { d.Id, d.StartedAt })
            .FirstOrDefaultAsync(cancellationToken);

        switch (resolved.Status)
        {
            case LinkStatus.Ready:
                break;
            case LinkStatus.DownloadLimitReached when open is not null:
                return open.Id;
            // A download that began before expiry may resume, with Range requests, for the grace period.
            case LinkStatus.Expired when isRange && open is not null && open.StartedAt < resolved.Link.ExpiresAt
                                         && now < resolved.Link.ExpiresAt + DownloadGrace:
                return open.Id;
            default:
                return null;
        }
        if (open is not null)
            return open.Id;
        var download = db.LinkDownloads.Add(new LinkDownload { LinkId = resolved.Link.Id, StartedAt = now, LastActivityAt = now, UserAgent = userAgent }).Entity;
        await db.SaveChangesAsync(cancellationToken);
        return download.Id;
    }

    public Task RecordBytesAsync(long downloadId, long bytes, bool reachedEnd, long size, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return db.LinkDownloads.Where(d => d.Id == downloadId).ExecuteUpdateAsync(d => d
            .SetProperty(x => x.BytesSent, x => x.BytesSent + bytes)
            .SetProperty(x => x.LastActivityAt, now)
            .SetProperty(x => x.Completed, x => x.Completed || (reachedEnd && x.BytesSent + bytes >= size)), cancellationToken);
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

    /// <summary>Revoking a build revokes every live link to it at once.</summary>
    public async Task<int> RevokeForBuildAsync(long buildId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await db.InstallLinks.Where(l => l.BuildId == buildId && l.RevokedAt == null)
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.RevokedAt, now), cancellationToken);
        await deadLinks.QueueAsync(cancellationToken);
        return revoked;
    }

    private static string? Truncate(string? userAgent) => userAgent is { Length: > 512 } ? userAgent[..512] : userAgent;

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Minted link {LinkId} for build {BuildId} ({Platform}), expires {ExpiresAt:o}")]
    private partial void LogLinkMinted(long linkId, long buildId, string platform, DateTime expiresAt);
}

/// <summary>
/// Writes link events and newly minted links with group commit. A request still returns only once its own row is
/// committed, but rows from requests that arrive while a commit is running go into the next transaction together:
/// SQLite has one writer and a commit costs a sync, so one transaction per manifest fetch capped the host at a few
/// hundred fetches a second, and concurrent single-row mints from chat commands queued on SQLite's write lock.
/// </summary>
internal sealed class LinkEventLog : IDisposable
{
    private readonly ConcurrentQueue<(object Row, TaskCompletionSource Committed)> _pending = new();
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Adds the event, committing it and any others waiting through <paramref name="db"/> if no commit has taken them yet.</summary>
    public Task AddAsync(ChatOpsBotDb db, LinkEvent linkEvent, CancellationToken cancellationToken) => AddRowAsync(db, linkEvent, cancellationToken);

    /// <summary>Inserts the link the same way; its <see cref="InstallLink.Id"/> is set when this returns.</summary>
    public Task AddAsync(ChatOpsBotDb db, InstallLink link, CancellationToken cancellationToken) => AddRowAsync(db, link, cancellationToken);

    /// <summary>Inserts where a chat message carrying a link went; as many as chat commands, so committed the same way.</summary>
    public Task AddAsync(ChatOpsBotDb db, SentLinkMessage message, CancellationToken cancellationToken) => AddRowAsync(db, message, cancellationToken);

    private async Task AddRowAsync(ChatOpsBotDb db, object row, CancellationToken cancellationToken)
    {
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Enqueue((row, committed));
        // Not cancellable once queued: another request may be committing this row, and a fetch that happened is recorded.
        await _writer.WaitAsync(CancellationToken.None);
        try
        {
            if (!committed.Task.IsCompleted)
                await CommitPendingAsync(db);
        }
        finally
        {
            _writer.Release();
        }
        await committed.Task.WaitAsync(cancellationToken);
    }

    public void Dispose() => _writer.Dispose();

    private async Task CommitPendingAsync(ChatOpsBotDb db)
    {
        var batch = new List<(object Row, TaskCompletionSource Committed)>();
        while (_pending.TryDequeue(out var pending))
            batch.Add(pending);
        try
        {
            db.AddRange(batch.Select(p => p.Row));
            await db.SaveChangesAsync(CancellationToken.None);
            foreach (var (_, committed) in batch)
                committed.SetResult();
        }
        catch (Exception e)
        {
            foreach (var (row, committed) in batch)
            {
                db.Entry(row).State = EntityState.Detached;
                committed.SetException(e);
            }
        }
    }
}
