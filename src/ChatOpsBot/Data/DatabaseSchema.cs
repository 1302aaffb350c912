using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Data;

/// <summary>The database cannot be served by this binary as it is; the message says what the operator does.</summary>
internal sealed class DatabaseSchemaException(string message) : Exception(message);

/// <summary>
/// Brings the database to the schema this binary was built for, before the server takes requests: adopts a database
/// that the released version made with EnsureCreated, refuses one that a newer version migrated, and applies the
/// pending migrations (or, with <c>MigrateAtStart</c> off, refuses to run behind them).
/// </summary>
internal sealed partial class DatabaseSchema(IServiceScopeFactory scopes, IOptions<ChatOpsBotOptions> options, TimeProvider time, ILogger<DatabaseSchema> logger)
{
    /// <summary>How long migrating may take before the log says why a start may be stuck, and again each time after.</summary>
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The tables the released version (ef88340, before migrations) created; the Initial migration's.</summary>
    private static readonly string[] ReleasedTables =
        ["Apps", "Builds", "InstallLinks", "LinkEvents", "LinkDownloads", "Subscriptions", "Announcements", "AnnouncementDeliveries", "TeamsConversations", "LinkMessages"];

    /// <summary>Migrates when <paramref name="migrate"/>, else only checks that the database is current.</summary>
    public async Task PrepareAsync(bool migrate, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataPath);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        // Write-ahead logging lets readers (manifest and IPA requests) proceed while a job or an upload writes. It is
        // a property of the database file, so setting it once is enough; the migrations then run in it too.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

        var known = db.Database.GetMigrations().ToList();
        var released = await IsReleasedDatabaseAsync(db, cancellationToken);
        // Recording the Initial migration creates the history table: only when migrating is what the operator asked for.
        if (released && migrate)
            await AdoptReleasedDatabaseAsync(db, known[0], cancellationToken);
        List<string> applied = released && !migrate ? [known[0]] : [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)];
        var unknown = applied.Except(known, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new DatabaseSchemaException(
                $"The database was migrated by a newer version of ChatOpsBot (migrations this version does not know: {string.Join(", ", unknown)}). " +
                "Run that version again, or restore the backup taken before the upgrade; this version does not run against a schema it does not know.");

        var pending = known.Except(applied, StringComparer.Ordinal).ToList();
        if (pending.Count == 0)
        {
            LogSchemaCurrent(known[^1]);
            return;
        }
        if (!migrate)
            throw new DatabaseSchemaException(
                $"The database is behind this version of ChatOpsBot (pending migrations: {string.Join(", ", pending)}) and " +
                $"{ChatOpsBotOptions.Section}:Database:MigrateAtStart is false. Run `dotnet ChatOpsBot.dll migrate` with the same configuration first.");

        LogMigrating(pending.Count, pending);
        // EF Core holds a database-wide lock while it migrates (on SQLite a row in __EFMigrationsLock) and reads the
        // history after taking it, so replicas starting at once apply each migration once; the others wait.
        // A host killed while migrating leaves that lock behind and every later start waits for it, without a word
        // from EF Core: say so while it lasts.
        var started = time.GetTimestamp();
        await using (time.CreateTimer(_ => LogStillMigrating(time.GetElapsedTime(started)), null, Patience, Patience))
            await db.Database.MigrateAsync(cancellationToken);
        LogSchemaCurrent(known[^1]);
    }

    /// <summary>
    /// A database the released version made has the tables but no migration history: record it as at the Initial
    /// migration, whose schema it has, so that only the later migrations run. No row is touched.
    /// </summary>
    private async Task AdoptReleasedDatabaseAsync(ChatOpsBotDb db, string initial, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        // An immediate transaction takes SQLite's write lock, so a replica adopting at the same moment waits here and
        // then finds the history made.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await history.ExistsAsync(cancellationToken))
            return;
        var missing = new List<string>();
        foreach (var table in ReleasedTables)
        {
            if (!await TableExistsAsync(db, table, cancellationToken))
                missing.Add(table);
        }
        if (missing.Count > 0)
            throw new DatabaseSchemaException(
                $"The database has no migration history and is not one the released version made (tables missing: {string.Join(", ", missing)}). Restore a backup or start from an empty data directory.");
        await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(initial, ProductInfo.GetVersion())), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogAdopted(initial);
    }

    /// <summary>The tables are there but no migration history: the released version made it with EnsureCreated.</summary>
    private static async Task<bool> IsReleasedDatabaseAsync(ChatOpsBotDb db, CancellationToken cancellationToken) =>
        !await db.GetService<IHistoryRepository>().ExistsAsync(cancellationToken) && await TableExistsAsync(db, "Builds", cancellationToken);

    private static async Task<bool> TableExistsAsync(ChatOpsBotDb db, string table, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<int>($"SELECT COUNT(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = {table}")
            .SingleAsync(cancellationToken) > 0;

    [LoggerMessage(EventId = 5700, Level = LogLevel.Information, Message = "Database made by the released version (no migration history) recorded as at migration {Migration}")]
    private partial void LogAdopted(string migration);

    [LoggerMessage(EventId = 5701, Level = LogLevel.Information, Message = "Migrating the database: {Count} pending database migrations {Migrations}")]
    private partial void LogMigrating(int count, IEnumerable<string> migrations);

    [LoggerMessage(EventId = 5703, Level = LogLevel.Warning, Message = "Still migrating the database after {Elapsed}: another host may be migrating it, or one killed while migrating left its lock. If no other host is running, remove the lock: DELETE FROM \"__EFMigrationsLock\"")]
    private partial void LogStillMigrating(TimeSpan elapsed);

    [LoggerMessage(EventId = 5702, Level = LogLevel.Information, Message = "Database schema is current (migration {Migration})")]
    private partial void LogSchemaCurrent(string migration);
}
