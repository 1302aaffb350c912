using ChatOpsBot.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.LinkMessages;

/// <summary>
/// Hands the messages of links that died (expired, revoked, or their build revoked) to the update job. Called by the
/// expiry job every minute and by the revoke paths at once. Never throws: updating messages is best effort and must
/// not fail an expiry or a revocation that already happened.
/// </summary>
internal sealed partial class DeadLinkMessages(ChatOpsBotDb db, IBackgroundJobClient jobs, TimeProvider time, ILogger<DeadLinkMessages> logger)
{
    public async Task QueueAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            // Only live rows are read, through the state index, and each reaches its link by primary key: a sweep of
            // a million plain links costs nothing here.
            var queued = await db.LinkMessages
                .Where(m => m.State == LinkMessageState.Live && db.InstallLinks.Any(l => l.Id == m.LinkId
                    && (l.ExpiresAt <= now || l.RevokedAt != null || l.Build.State == BuildState.Revoked
                        || (l.SecondBuild != null && l.SecondBuild.State == BuildState.Revoked))))
                .ExecuteUpdateAsync(m => m
                    .SetProperty(x => x.State, LinkMessageState.Pending)
                    .SetProperty(x => x.UpdatedAt, now), cancellationToken);
            // A job lost with in-memory job storage (a restart) leaves rows pending or claimed: they get a new one.
            if (queued == 0 && !await db.LinkMessages.AnyAsync(m => m.State == LinkMessageState.Pending
                    || (m.State == LinkMessageState.Sending && m.ClaimExpiresAt <= now), cancellationToken))
                return;
            jobs.Enqueue<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));
            if (queued > 0)
                LogQueued(queued);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogQueueFailed(e);
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "{Count} chat messages carry links that died; queued for an update")]
    private partial void LogQueued(int count);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Could not queue the messages of dead links for an update; the next expiry run tries again")]
    private partial void LogQueueFailed(Exception exception);
}
