using ChatOpsBot.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Jobs;

/// <summary>
/// Every minute: links past expiry are marked expired; once past expiry plus the download grace (or revoked that
/// long ago) their token hashes are deleted, so the tokens can never work again. Audit rows stay.
/// </summary>
internal sealed partial class ExpireLinksJob(ChatOpsBotDb db, TimeProvider time, IOptions<ChatOpsBotOptions> options, ILogger<ExpireLinksJob> logger)
{
    // Small batches keep each write transaction short, so readers (manifest and IPA requests) are not held up.
    internal const int BatchSize = 2_000;

    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var deadBefore = now - options.Value.Links.DownloadGrace;

        var expired = 0;
        int updated;
        do
        {
            updated = await db.InstallLinks
                .Where(l => l.ExpiredAt == null && l.ExpiresAt <= now)
                .OrderBy(l => l.Id).Take(BatchSize)
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.ExpiredAt, now), cancellationToken);
            expired += updated;
        }
        while (updated == BatchSize);

        var forgotten = 0;
        do
        {
            updated = await db.InstallLinks
                .Where(l => l.TokenHash != null && (l.ExpiresAt <= deadBefore || l.RevokedAt <= deadBefore))
                .OrderBy(l => l.Id).Take(BatchSize)
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.TokenHash, (byte[]?)null), cancellationToken);
            forgotten += updated;
        }
        while (updated == BatchSize);

        if (expired + forgotten > 0)
            LogSwept(expired, forgotten);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Expired {Expired} links; deleted the token hashes of {Forgotten} dead links")]
    private partial void LogSwept(int expired, int forgotten);
}
