using ChatOpsBot.Data;
using ChatOpsBot.Features.LinkMessages;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Jobs;

/// <summary>
/// Every minute: links past expiry are marked expired; once past expiry plus the download grace (or revoked that
/// long ago) their token hashes are deleted, so the tokens can never work again. Audit rows stay. Chat messages that
/// carried the links now dead are handed to <see cref="LinkMessageUpdateJob"/>.
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
    // PostgreSQL locks rows, and the rows a batch updates are ones no request writes (an event's foreign-key check
    // takes a lock that an update of non-key columns does not conflict with), so there it does not pause.
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
        var batchSize = BatchSizeOn(db);
        var now = time.GetUtcNow().UtcDateTime;
        var deadBefore = now - options.Value.Links.DownloadGrace;

        var expired = 0;
        List<long> due;
        do
        {
            // In the order of the (ExpiredAt, ExpiresAt) index, so a batch reads just the index entries it updates, and
            // updated rows leave the range. Ordered by Id, SQLite sorted every remaining candidate for every batch.
            // The order names the index's leading column, although it is null in every candidate: PostgreSQL takes the
            // index's order for "ExpiresAt" alone (or with Id after it, which SQLite's index holds implicitly) only
            // when that column is equal to a constant, and IS NULL is not, so it sorted every remaining candidate of a
            // sequential scan per batch instead (EXPLAIN ANALYZE, 1,000,000 candidates: 462 ms a batch, 31 ms now).
            // The ids are read first and then updated, rather than in one UPDATE ... FROM (subquery): PostgreSQL
            // joined that subquery to the table with a hash join over a sequential scan of the whole table whenever
            // it estimated that cheaper than 1,000 key lookups (every batch at 100,000 links), while "Id = ANY(ids)"
            // is a key lookup on both databases. The update re-checks the condition.
            due = await db.InstallLinks.AsNoTracking()
                .Where(l => l.ExpiredAt == null && l.ExpiresAt <= now)
                .OrderBy(l => l.ExpiredAt).ThenBy(l => l.ExpiresAt).Select(l => l.Id).Take(batchSize)
                .ToListAsync(cancellationToken);
            if (due.Count == 0)
                break;
            expired += await db.InstallLinks
                .Where(l => due.Contains(l.Id) && l.ExpiredAt == null && l.ExpiresAt <= now)
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.ExpiredAt, now), cancellationToken);
            if (due.Count == batchSize && OnSqlite)
                await PauseAsync(cancellationToken);
        }
        while (due.Count == batchSize);

        // Also picks up links revoked by retention; best effort, it never throws, and the update is another job.
        await deadLinkMessages.QueueAsync(cancellationToken);

        // No index serves this condition, so the dead rows are found by a read (which holds no lock in WAL mode) in
        // keyset pages of Id, and only the rows found are updated: an UPDATE that scanned the table itself would hold
        // the write lock for the whole scan, even when nothing is dead.
        var forgotten = 0;
        var after = 0L;
        List<long> dead;
        do
        {
            dead = await db.InstallLinks.AsNoTracking()
                .Where(l => l.Id > after && l.TokenHash != null && (l.ExpiresAt <= deadBefore || l.RevokedAt <= deadBefore))
                .OrderBy(l => l.Id).Select(l => l.Id).Take(batchSize)
                .ToListAsync(cancellationToken);
            if (dead.Count == 0)
                break;
            after = dead[^1];
            forgotten += await db.InstallLinks
                .Where(l => dead.Contains(l.Id) && l.TokenHash != null && (l.ExpiresAt <= deadBefore || l.RevokedAt <= deadBefore))
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.TokenHash, (byte[]?)null), cancellationToken);
            if (dead.Count == batchSize && OnSqlite)
                await PauseAsync(cancellationToken);
        }
        while (dead.Count == batchSize);

        if (expired + forgotten > 0)
            LogSwept(expired, forgotten);
    }

    // Wall-clock pacing, not a reading of the clock, so not the injected TimeProvider (a fake one would never let it end).
    private static Task PauseAsync(CancellationToken cancellationToken) => Task.Delay(PauseBetweenBatches, cancellationToken);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Expired {Expired} links; deleted the token hashes of {Forgotten} dead links")]
    private partial void LogSwept(int expired, int forgotten);
}
