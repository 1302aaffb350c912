using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.LinkMessages;

/// <summary>
/// Updates the chat messages of dead links so no live-looking Install button remains: one attempt each, best effort.
/// Rows are claimed in batches before anything is posted, so a second run (or a second job) updates nothing twice; a
/// claim lost with its job lapses and is taken over. Failures are logged and the row is finished all the same.
/// </summary>
internal sealed partial class LinkMessageUpdateJob(
    ChatOpsBotDb db,
    IEnumerable<ILinkMessageUpdater> updaters,
    TimeProvider time,
    Telemetry.ChatOpsBotMetrics metrics,
    ILogger<LinkMessageUpdateJob> logger)
{
    internal const int BatchSize = 100;

    /// <summary>Longer than a batch of updates may take, so a live job's claim is never taken over.</summary>
    internal static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan UpdateTimeout = TimeSpan.FromSeconds(5);

    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken cancellationToken) => metrics.TimeJobAsync("link-message-update", () => RunOnceAsync(cancellationToken));

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        List<long> candidates;
        do
        {
            var now = time.GetUtcNow().UtcDateTime;
            var claim = Guid.NewGuid().ToString("N");
            // Found first, then claimed with the condition again in the UPDATE's own WHERE. One UPDATE with ORDER BY
            // and LIMIT becomes a join on a subquery, and on PostgreSQL a job on another replica that waited for
            // these rows' locks re-checks only the join, so it would claim (and send) them a second time.
            candidates = await db.LinkMessages.AsNoTracking()
                .Where(m => m.State == LinkMessageState.Pending || (m.State == LinkMessageState.Sending && m.ClaimExpiresAt <= now))
                .OrderBy(m => m.Id).Take(BatchSize).Select(m => m.Id)
                .ToListAsync(cancellationToken);
            if (candidates.Count == 0)
                return;
            var claimed = await db.LinkMessages
                .Where(m => candidates.Contains(m.Id)
                    && (m.State == LinkMessageState.Pending || (m.State == LinkMessageState.Sending && m.ClaimExpiresAt <= now)))
                .ExecuteUpdateAsync(m => m
                    .SetProperty(x => x.State, LinkMessageState.Sending)
                    .SetProperty(x => x.ClaimToken, claim)
                    .SetProperty(x => x.ClaimExpiresAt, now + ClaimTimeout), cancellationToken);
            if (claimed == 0)
                continue;

            var rows = await db.LinkMessages.AsNoTracking().Where(m => m.ClaimToken == claim)
                .Select(m => new
                {
                    Message = m,
                    m.Link.Build.App.Slug,
                    m.Link.Build.Channel,
                    Revoked = m.Link.RevokedAt != null || m.Link.Build.State == BuildState.Revoked
                        || (m.Link.SecondBuild != null && m.Link.SecondBuild.State == BuildState.Revoked),
                    m.Link.Build.Platform,
                    SecondPlatform = m.Link.SecondBuild != null ? m.Link.SecondBuild.Platform : null,
                })
                .ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                var message = row.Message;
                var updated = await UpdateAsync(message, new DeadLinkNotice($"install {row.Slug} {row.Channel}", row.Revoked,
                    CatalogPlatforms.NamesOf(row.SecondPlatform is null ? [row.Platform] : [row.Platform, row.SecondPlatform])), cancellationToken);
                var uses = message.ResponseUrlUses + (updated && message.ResponseUrl is not null ? 1 : 0);
                var state = updated ? LinkMessageState.Updated : LinkMessageState.NotUpdated;
                var finishedAt = time.GetUtcNow().UtcDateTime;
                // Recorded even when the host is stopping: an update that went out must not be attempted again.
                await db.LinkMessages.Where(m => m.Id == message.Id && m.ClaimToken == claim)
                    .ExecuteUpdateAsync(m => m
                        .SetProperty(x => x.State, state)
                        .SetProperty(x => x.ResponseUrlUses, uses)
                        .SetProperty(x => x.ResponseUrl, (string?)null)
                        .SetProperty(x => x.ClaimToken, (string?)null)
                        .SetProperty(x => x.ClaimExpiresAt, (DateTime?)null)
                        .SetProperty(x => x.UpdatedAt, finishedAt), CancellationToken.None);
            }
        }
        while (candidates.Count == BatchSize);
    }

    private async Task<bool> UpdateAsync(SentLinkMessage message, DeadLinkNotice notice, CancellationToken cancellationToken)
    {
        var updater = updaters.FirstOrDefault(u => string.Equals(u.Platform, message.Platform, StringComparison.OrdinalIgnoreCase));
        if (updater is null)
            return false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(UpdateTimeout);
        try
        {
            var where = new LinkMessage(message.Platform, message.ResponseUrl,
                message.ResponseUrlExpiresAt is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) : null, message.ResponseUrlUses,
                message.ServiceUrl, message.ConversationId, message.ActivityId);
            var updated = await updater.MarkDeadAsync(where, notice, timeout.Token);
            if (updated)
                LogUpdated(message.LinkId, message.Platform);
            else
                LogNotUpdated(message.LinkId, message.Platform);
            return updated;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUpdateFailed(e, message.LinkId, message.Platform);
            return false;
        }
    }

    [LoggerMessage(EventId = 4311, Level = LogLevel.Information, Message = "Updated the {Platform} message of dead link {LinkId}")]
    private partial void LogUpdated(long linkId, string platform);

    [LoggerMessage(EventId = 4312, Level = LogLevel.Information, Message = "The {Platform} message of dead link {LinkId} could not be updated (the platform no longer allows it, or it failed)")]
    private partial void LogNotUpdated(long linkId, string platform);

    [LoggerMessage(EventId = 4313, Level = LogLevel.Warning, Message = "Updating the {Platform} message of dead link {LinkId} failed")]
    private partial void LogUpdateFailed(Exception exception, long linkId, string platform);
}
