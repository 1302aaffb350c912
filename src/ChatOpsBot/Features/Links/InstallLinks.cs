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

/// <summary>What the manifest needs of a link and its build.</summary>
internal sealed record ManifestLink(long LinkId, LinkStatus Status, bool HasIcon, string BundleId, string Version, string BuildNumber, string DisplayName, string Channel);

/// <summary>The bytes one IPA response would send, of a file of <see cref="FileSize"/> bytes.</summary>
internal readonly record struct ByteRangeRequest(long Length, bool Partial, long FileSize);

/// <summary>Bytes counted on a download before they are sent, so concurrent requests cannot all pass a cap.</summary>
internal sealed record DownloadReservation(long DownloadId, long Bytes);

/// <summary>A token that matched a link, with what it points at.</summary>
internal sealed record ResolvedLink(InstallLink Link, Build Build, App App, string Token, LinkStatus Status, int Downloads);

/// <summary>Mints, resolves and records install links. Chat adapters and the API use the same service.</summary>
internal sealed partial class InstallLinks(
    ChatOpsBotDb db,
    LinkEventLog events,
    IManifestLookup manifestLookup,
    PublicUrls urls,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options,
    DeadLinkMessages deadLinks,
    ILogger<InstallLinks> logger)
{
    public TimeSpan DownloadGrace => options.Value.Links.DownloadGrace;

    public async Task<MintOutcome> MintAsync(long buildId, Requester requester, int? maxDownloads, CancellationToken cancellationToken)
    {
        var state = await BuildStateOf.For(db)(db, buildId, cancellationToken);
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

    private static readonly CompiledPerModel<Func<ChatOpsBotDb, long, CancellationToken, Task<BuildState?>>> BuildStateOf =
        new(() => EF.CompileAsyncQuery((ChatOpsBotDb db, long buildId, CancellationToken cancellationToken) => db.Builds
            .Where(b => b.Id == buildId).Select(b => (BuildState?)b.State).SingleOrDefault()));

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
        var found = await FindByTokenHash.For(db)(db, hash, cancellationToken);
        if (found is null)
            return null;
        return new ResolvedLink(found.Link, found.Build, found.App, token, StatusAt(found.Link, found.Build, found.Downloads), found.Downloads);
    }

    private sealed record Found(InstallLink Link, Build Build, App App, int Downloads);

    // Every phone request starts here; compiled once, it skips EF's per-call expression tree walk and cache lookup.
    private static readonly CompiledPerModel<Func<ChatOpsBotDb, byte[], CancellationToken, Task<Found?>>> FindByTokenHash =
        new(() => EF.CompileAsyncQuery((ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken) => db.InstallLinks.AsNoTracking()
            .Where(l => l.TokenHash == hash)
            .Select(l => new Found(l, l.Build, l.Build.App, db.LinkDownloads.Count(d => d.LinkId == l.Id)))
            .SingleOrDefault()));

    private LinkStatus StatusAt(InstallLink link, Build build, int downloads) =>
        StatusAt(link.RevokedAt, build.State, link.ExpiresAt, link.MaxDownloads, downloads, build.ProfileExpiresAt);

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

    /// <summary>
    /// Reserves the bytes of one response on a download of the link, or null when the link may not serve them.
    /// A request without a range starts a new download, which takes one of the link's <c>maxDownloads</c>; a range
    /// request continues the same client's unfinished download, and a download sends at most
    /// <see cref="DownloadBudget"/> times the file in all, so one interrupted download resumes while endless
    /// near-complete ranges stop, and a cap of N serves at most about 2 × N files. After expiry only a download that
    /// began in time may continue, with ranges, for the grace period.
    /// </summary>
    public async Task<DownloadReservation?> ReserveDownloadAsync(ResolvedLink resolved, string? userAgent, ByteRangeRequest request, CancellationToken cancellationToken)
    {
        var link = resolved.Link;
        var now = time.GetUtcNow().UtcDateTime;
        var resumeOnly = resolved.Status == LinkStatus.Expired;
        if (resolved.Status is not (LinkStatus.Ready or LinkStatus.DownloadLimitReached) && !(resumeOnly && request.Partial && now < link.ExpiresAt + DownloadGrace))
            return null;
        userAgent = Truncate(userAgent);

        if (request.Partial)
        {
            var open = await db.LinkDownloads.AsNoTracking()
                .Where(d => d.LinkId == link.Id && d.UserAgent == userAgent && !d.Completed)
                .OrderByDescending(d => d.Id)
                .Select(d => new { d.Id, d.StartedAt })
                .FirstOrDefaultAsync(cancellationToken);
            if (open is not null && (!resumeOnly || open.StartedAt < link.ExpiresAt))
            {
                // One statement, so concurrent ranges of one download cannot overdraw it together.
                var budget = DownloadBudget * request.FileSize;
                var reserved = await db.LinkDownloads
                    .Where(d => d.Id == open.Id && !d.Completed && d.BytesSent + request.Length <= budget)
                    .ExecuteUpdateAsync(d => d
                        .SetProperty(x => x.BytesSent, x => x.BytesSent + request.Length)
                        .SetProperty(x => x.LastActivityAt, now), cancellationToken);
                if (reserved == 1)
                    return new DownloadReservation(open.Id, request.Length);
            }
        }
        if (resumeOnly)
            return null;
        if (link.MaxDownloads is not { } cap)
            return await StartDownloadAsync(link.Id, userAgent, request.Length, now, cancellationToken);

        // Writing the link's row first takes its write lock (SQLite's database lock, PostgreSQL's row lock) before
        // the count is read, so concurrent requests for a capped link start downloads one after another. On
        // PostgreSQL that needs read committed (which Npgsql also picks when no level is given, whatever the
        // database's default): each statement reads what was committed when it began, so the count that follows the
        // lock sees the download the previous holder started; under repeatable read the update would fail instead.
        await using var transaction = db.Database.IsNpgsql()
            ? await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken)
            : await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.InstallLinks.Where(l => l.Id == link.Id).ExecuteUpdateAsync(l => l.SetProperty(x => x.MaxDownloads, x => x.MaxDownloads), cancellationToken) == 0
            || await db.LinkDownloads.CountAsync(d => d.LinkId == link.Id, cancellationToken) >= cap)
            return null;
        var started = await StartDownloadAsync(link.Id, userAgent, request.Length, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return started;
    }

    private async Task<DownloadReservation> StartDownloadAsync(long linkId, string? userAgent, long bytes, DateTime now, CancellationToken cancellationToken)
    {
        var download = db.LinkDownloads.Add(new LinkDownload
        {
            LinkId = linkId, StartedAt = now, LastActivityAt = now, UserAgent = userAgent, BytesSent = bytes,
        }).Entity;
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(download).State = EntityState.Detached;
        return new DownloadReservation(download.Id, bytes);
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

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Minted link {LinkId} for build {BuildId} ({Platform}), expires {ExpiresAt:o}")]
    private partial void LogLinkMinted(long linkId, long buildId, string platform, DateTime expiresAt);
}

/// <summary>
/// Writes link events and newly minted links with group commit. A request still returns only once its own row is
/// committed, but rows from requests that arrive while a commit is running go into the next transaction together:
/// SQLite has one writer and a commit costs a sync, so one transaction per manifest fetch capped the host at a few
/// hundred fetches a second, and concurrent single-row mints from chat commands queued on SQLite's write lock.
/// </summary>
internal sealed partial class LinkEventLog(ILogger<LinkEventLog> logger) : IDisposable
{
    private readonly ConcurrentQueue<(object Row, TaskCompletionSource? Committed)> _pending = new();
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly SemaphoreSlim _posted = new(0);
    private int _signalled;

    /// <summary>Queues the event for the background flusher (<see cref="LinkEventFlusher"/>) and returns at once.</summary>
    public void Post(LinkEvent linkEvent)
    {
        _pending.Enqueue((linkEvent, null));
        // One outstanding signal is enough: the flusher takes everything queued when it wakes.
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
            _posted.Release();
    }

    internal async Task WaitForPostedAsync(CancellationToken cancellationToken)
    {
        await _posted.WaitAsync(cancellationToken);
        Volatile.Write(ref _signalled, 0);
    }

    /// <summary>Commits whatever is queued through a context of its own.</summary>
    internal async Task FlushAsync(IServiceScopeFactory scopes)
    {
        if (_pending.IsEmpty)
            return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        await _writer.WaitAsync(CancellationToken.None);
        try
        {
            await CommitPendingAsync(db);
        }
        finally
        {
            _writer.Release();
        }
    }

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

    public void Dispose()
    {
        _writer.Dispose();
        _posted.Dispose();
    }

    private async Task CommitPendingAsync(ChatOpsBotDb db)
    {
        var batch = new List<(object Row, TaskCompletionSource? Committed)>();
        while (_pending.TryDequeue(out var pending))
            batch.Add(pending);
        if (batch.Count == 0)
            return;
        try
        {
            db.AddRange(batch.Select(p => p.Row));
            await db.SaveChangesAsync(CancellationToken.None);
            foreach (var (_, committed) in batch)
                committed?.SetResult();
            return;
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One bad row (an event of a link deleted meanwhile) must not cost the others theirs: commit each alone.
            foreach (var (row, _) in batch)
                db.Entry(row).State = EntityState.Detached;
            LogBatchRetried(batch.Count, e);
        }
        catch (Exception e)
        {
            Fail(db, batch[0], e);
            return;
        }
        foreach (var pending in batch)
        {
            try
            {
                db.Add(pending.Row);
                await db.SaveChangesAsync(CancellationToken.None);
                pending.Committed?.SetResult();
            }
            catch (Exception e)
            {
                Fail(db, pending, e);
            }
        }
    }

    private void Fail(ChatOpsBotDb db, (object Row, TaskCompletionSource? Committed) pending, Exception exception)
    {
        db.Entry(pending.Row).State = EntityState.Detached;
        if (pending.Committed is null)
            LogPostedLost(1, exception);
        else
            pending.Committed.SetException(exception);
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Lost {Count} link events that were recorded in the background")]
    private partial void LogPostedLost(int count, Exception exception);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Warning, Message = "Committing {Count} link rows together failed; committing each on its own")]
    private partial void LogBatchRetried(int count, Exception exception);
}

/// <summary>Commits background link events as they are posted, and whatever is left when the host stops.</summary>
internal sealed class LinkEventFlusher(LinkEventLog events, IServiceScopeFactory scopes) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await events.WaitForPostedAsync(stoppingToken);
                await events.FlushAsync(scopes);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await events.FlushAsync(scopes);
    }
}
