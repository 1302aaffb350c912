using ChatOpsBot.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Jobs;

/// <summary>
/// Hourly: deletes the chat event claims that lapsed (Slack's, 30 minutes after the event), so the table holds about
/// the last hour and a half of events and never grows with the bot's age.
/// </summary>
internal sealed partial class PruneEventClaimsJob(ChatOpsBotDb db, TimeProvider time, Telemetry.ChatOpsBotMetrics metrics, ILogger<PruneEventClaimsJob> logger)
{
    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken cancellationToken) => metrics.TimeJobAsync(JobsRegistration.PruneEventClaims, () => RunOnceAsync(cancellationToken));

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var pruned = await db.ChatEventClaims.Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        if (pruned > 0)
            LogPruned(pruned);
    }

    [LoggerMessage(EventId = 5730, Level = LogLevel.Information, Message = "Deleted {Count} lapsed chat event claims")]
    private partial void LogPruned(int count);
}
