using System.Linq.Expressions;
using ChatOpsBot.Data;
using ChatOpsBot.Features.LinkMessages;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Jobs;

/// <summary>
/// Every minute: the chat messages that carried links now dead are handed to <see cref="LinkMessageUpdateJob"/>, and
/// links past expiry (or revocation) by the download grace lose their token hashes, so the tokens can never work
/// again. Audit rows stay. Nothing marks a link expired: it is expired once <see cref="InstallLink.ExpiresAt"/> has
/// passed, which every reader checks, so a million links expiring in the same minute cost this job no write.
/// </summary>
internal sealed partial class ExpireLinksJob(
    ChatOpsBotDb db,
    DeadLinkMessages deadLinkMessages,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options,
    Telemetry.ChatOpsBotMetrics metrics,
    ILogger<ExpireLinksJob> logger)
{
    // Small batches keep each write transaction to a few milliseconds. Readers never wait for it (WAL mode), but
    // requests that write (link events, downloads) need SQLite's one write lock, and SQLite's busy wait is not fair:
    // the pause after each batch outlasts its first retry intervals, so a request that is waiting gets the lock next.
    // PostgreSQL locks rows, and no request writes the rows of dead links, so there it does not pause.
    // On PostgreSQL a batch only bounds the size of one statement, so batches are larger there: under load each round
    // trip waits for a time slice, and 1,000 rows a batch made 2,000 of them per 1,000,000 links.
    internal static int BatchSizeOn(ChatOpsBotDb db) => db.Database.IsSqlite() ? 1_000 : 10_000;

    private bool OnSqlite => db.Database.IsSqlite();
    private static readonly TimeSpan PauseBetweenBatches = TimeSpan.FromMilliseconds(5);

    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken cancellationToken) => metrics.TimeJobAsync(JobsRegistration.ExpireLinks, () => RunOnceAsync(cancellationToken));

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        LogRunStarted();
        var now = time.GetUtcNow().UtcDateTime;
        var deadBefore = now - options.Value.Links.DownloadGrace;

        // Also picks up links revoked by retention; best effort, it never throws, and the update is another job.
        await deadLinkMessages.QueueAsync(cancellationToken);

        // Each condition is read through its partial index (only links that still have a hash) in the index's order,
        // so a batch reads just the entries it updates and the updated rows leave the index. The ids are read first
        // and then updated, rather than in one UPDATE ... FROM (subquery): PostgreSQL joined that subquery to the
        // table with a hash join over a sequential scan whenever it estimated that cheaper than the key lookups,
        // while "Id = ANY(ids)" is a key lookup on both databases. The update re-checks the condition.
        var forgotten = await ForgetAsync(l => l.TokenHash != null && l.ExpiresAt <= deadBefore, l => l.ExpiresAt, cancellationToken);
        forgotten += await ForgetAsync(l => l.TokenHash != null && l.RevokedAt != null && l.RevokedAt <= deadBefore, l => l.RevokedAt, cancellationToken);

        if (forgotten > 0)
            LogForgotten(forgotten);
        else
            LogNothingToForget();

        // Device links name their owner and nothing else worth keeping: gone once even their done page is over.
        var deviceLinks = await db.DeviceLinks.Where(l => l.ExpiresAt <= now - Features.Devices.DeviceRegistry.DonePageLifetime).ExecuteDeleteAsync(cancellationToken);
        if (deviceLinks > 0)
            LogDeviceLinksDeleted(deviceLinks);
        var fulfilledBefore = now - Features.Devices.DeviceRequests.FulfilledRetention;
        var requests = await db.DeviceRequests.Where(r => r.FulfilledAt != null && r.FulfilledAt <= fulfilledBefore).ExecuteDeleteAsync(cancellationToken);
        if (requests > 0)
            LogDeviceRequestsDeleted(requests);
    }

    /// <summary>Deletes the token hashes of the links <paramref name="dead"/> selects, a batch at a time in the order of its index.</summary>
    private async Task<int> ForgetAsync<TKey>(Expression<Func<InstallLink, bool>> dead, Expression<Func<InstallLink, TKey>> indexOrder, CancellationToken cancellationToken)
    {
        var batchSize = BatchSizeOn(db);
        var forgotten = 0;
        List<long> due;
        do
        {
            due = await db.InstallLinks.AsNoTracking().Where(dead).OrderBy(indexOrder).Select(l => l.Id).Take(batchSize).ToListAsync(cancellationToken);
            if (due.Count == 0)
                break;
            forgotten += await db.InstallLinks.Where(l => due.Contains(l.Id)).Where(dead)
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.TokenHash, (byte[]?)null), cancellationToken);
            if (due.Count == batchSize && OnSqlite)
                await PauseAsync(cancellationToken);
        }
        while (due.Count == batchSize);
        return forgotten;
    }

    // Wall-clock pacing, not a reading of the clock, so not the injected TimeProvider (a fake one would never let it end).
    private static Task PauseAsync(CancellationToken cancellationToken) => Task.Delay(PauseBetweenBatches, cancellationToken);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Deleted the token hashes of {Forgotten} dead links")]
    private partial void LogForgotten(int forgotten);

    [LoggerMessage(EventId = 6920, Level = LogLevel.Information, Message = "Deleted {Count} device links past their end")]
    private partial void LogDeviceLinksDeleted(int count);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Expiry run started")]
    private partial void LogRunStarted();

    [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "Expiry run over: no link died past the grace since the last run")]
    private partial void LogNothingToForget();

    [LoggerMessage(EventId = 7056, Level = LogLevel.Information, Message = "Deleted {Count} device requests fulfilled more than 30 days ago")]
    private partial void LogDeviceRequestsDeleted(int count);
}
