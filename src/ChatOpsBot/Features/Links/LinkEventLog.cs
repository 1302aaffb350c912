using System.Collections.Concurrent;
using System.Data.Common;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ChatOpsBot.Features.Links;

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
        if (await CommittedTogetherAsync(db, batch))
            return;
        // One row the database refused failed the batch and must not cost the others theirs.
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

    /// <summary>
    /// Commits the batch in one go; true when that settled every row (committed, or a batch of one failed), false when
    /// a batch of several failed and nothing of it was written.
    /// </summary>
    private async Task<bool> CommittedTogetherAsync(ChatOpsBotDb db, List<(object Row, TaskCompletionSource? Committed)> batch)
    {
        var posted = db.Database.IsNpgsql() ? batch.Where(p => p is { Committed: null, Row: LinkEvent }).Select(p => (LinkEvent)p.Row).ToList() : [];
        if (posted.Count > 1)
        {
            if (!await TryInsertPostedEventsAsync(db, posted, batch.Count))
                return false;
            batch.RemoveAll(p => p is { Committed: null, Row: LinkEvent });
            if (batch.Count == 0)
                return true;
        }
        try
        {
            db.AddRange(batch.Select(p => p.Row));
            await db.SaveChangesAsync(CancellationToken.None);
            foreach (var (_, committed) in batch)
                committed?.SetResult();
            return true;
        }
        catch (Exception e) when (batch.Count > 1)
        {
            foreach (var (row, _) in batch)
                db.Entry(row).State = EntityState.Detached;
            LogBatchRetried(batch.Count, e);
            return false;
        }
        catch (Exception e)
        {
            Fail(db, batch[0], e);
            return true;
        }
    }

    /// <summary>
    /// PostgreSQL: the background events (manifest fetches, page views: nobody waits for their ids) in one prepared
    /// statement over arrays, instead of EF Core's one INSERT … RETURNING per row. False when the statement failed, as
    /// one bad row makes it; nothing of it was written then.
    /// </summary>
    private async Task<bool> TryInsertPostedEventsAsync(ChatOpsBotDb db, List<LinkEvent> posted, int batchCount)
    {
        try
        {
            await db.Database.OpenConnectionAsync(CancellationToken.None);
            try
            {
                await PostgresLinkEvents.InsertAsync((NpgsqlConnection)db.Database.GetDbConnection(), posted, CancellationToken.None);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
            return true;
        }
        // A connection that cannot be opened comes through EF Core's retrying strategy as RetryLimitExceededException
        // (PostgreSQL restarting): it must fail the batch like any other database error, not the flusher.
        catch (Exception e) when (e is DbException or InvalidOperationException or RetryLimitExceededException)
        {
            LogBatchRetried(batchCount, e);
            return false;
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

    [LoggerMessage(EventId = 5302, Level = LogLevel.Error, Message = "Writing link events recorded in the background failed; the writer goes on with the next ones")]
    internal partial void LogFlushFailed(Exception exception);
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
                try
                {
                    await events.FlushAsync(scopes);
                }
                // A background service that throws stops the host (BackgroundServiceExceptionBehavior.StopHost): a
                // database that is restarting must cost the events of that moment, never the process serving installs.
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    events.LogFlushFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await events.FlushAsync(scopes);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            events.LogFlushFailed(e);
        }
    }
}

/// <summary>Link events as one multi-row INSERT on PostgreSQL: one statement, parsed and planned once per connection.</summary>
internal static class PostgresLinkEvents
{
    private const string Sql =
        """INSERT INTO "LinkEvents" ("LinkId", "Kind", "At", "UserAgent") SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[])""";

    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<LinkEvent> events, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = [.. events.Select(e => e.LinkId)] });
        // As EF Core stores the enum (HasConversion<string>): its name.
        command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = [.. events.Select(e => e.Kind.ToString())] });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = [.. events.Select(e => DateTime.SpecifyKind(e.At, DateTimeKind.Utc))] });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = [.. events.Select(e => e.UserAgent)] });
        await command.PrepareAsync(cancellationToken);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
