using ChatOpsBot.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChatOpsBot.Data;

/// <summary>The database cannot be served by this binary as it is; the message says what the operator does.</summary>
internal sealed class DatabaseSchemaException(string message) : Exception(message)
{
    /// <summary>The database is only behind this binary: migrating brings it up to date.</summary>
    public bool Behind { get; init; }
}

/// <summary>
/// Brings the database to the schema this binary was built for, before the server takes requests: adopts a database
/// that the released version made with EnsureCreated, refuses one that a newer version migrated, and applies the
/// pending migrations (or, with <c>MigrateAtStart</c> off, refuses to run behind them).
/// </summary>
internal sealed partial class DatabaseSchema(IServiceScopeFactory scopes, IOptions<ChatOpsBotOptions> options, TimeProvider time, ILogger<DatabaseSchema> logger)
{
    /// <summary>How long migrating may take before the log says why a start may be stuck, and again each time after.</summary>
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>How long a start waits for a PostgreSQL server that refuses connections (it may be starting too), and how often it tries.</summary>
    internal static readonly TimeSpan ConnectPatience = TimeSpan.FromMinutes(2);

    internal static readonly TimeSpan ConnectRetry = TimeSpan.FromSeconds(5);

    /// <summary>The tables the released version (ef88340, before migrations) created; the Initial migration's.</summary>
    private static readonly string[] ReleasedTables =
        ["Apps", "Builds", "InstallLinks", "LinkEvents", "LinkDownloads", "Subscriptions", "Announcements", "AnnouncementDeliveries", "TeamsConversations", "LinkMessages"];

    /// <summary>Migrates when <paramref name="migrate"/>, else only checks that the database is current.</summary>
    public async Task PrepareAsync(bool migrate, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataPath);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var sqlite = db.Database.IsSqlite();
        if (!sqlite)
            await WaitForPostgresAsync(scope.ServiceProvider.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
        // Another host migrating holds a lock that this one waits for, without a word from EF Core, and a lock that a
        // killed host left behind (SQLite only) is waited for forever: say so while it lasts. On PostgreSQL reading
        // the history waits as well, so the whole preparation is watched.
        var started = time.GetTimestamp();
        await using (time.CreateTimer(_ => StillWaiting(sqlite, time.GetElapsedTime(started)), null, Patience, Patience))
        {
            if (sqlite)
            {
                await PrepareAsync(db, null, migrate, cancellationToken);
                return;
            }
            await using var schemaLock = await PostgresSchemaLock.AcquireAsync(scope.ServiceProvider.GetRequiredService<PostgresLockConnections>(), cancellationToken);
            await PrepareAsync(db, schemaLock.Connection, migrate, cancellationToken);
        }
    }

    /// <summary>
    /// Waits while the server is unreachable for a reason that passes (refused or dropped connections, a server still
    /// starting up), as when the database and the replicas start together; any other failure, or one that outlasts
    /// <see cref="ConnectPatience"/>, stops the start with a sentence that says why.
    /// </summary>
    private async Task WaitForPostgresAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException e) when (e.IsTransient && time.GetElapsedTime(started) < ConnectPatience)
            {
                LogDatabaseUnreachable(time.GetElapsedTime(started), e.Message);
                await Task.Delay(ConnectRetry, time, cancellationToken);
            }
            catch (NpgsqlException e)
            {
                throw new DatabaseSchemaException(
                    $"Cannot connect to the PostgreSQL database of {ChatOpsBotOptions.Section}:Database:ConnectionString: {e.Message}");
            }
        }
    }

    /// <summary>On SQLite <paramref name="postgres"/> is null; on PostgreSQL it holds the schema lock.</summary>
    private async Task PrepareAsync(ChatOpsBotDb db, NpgsqlConnection? postgres, bool migrate, CancellationToken cancellationToken)
    {
        var sqlite = postgres is null;
        // Write-ahead logging lets readers (manifest and IPA requests) proceed while a job or an upload writes. It is
        // a property of the database file, so setting it once is enough; the migrations then run in it too.
        if (sqlite)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

        var known = db.Database.GetMigrations().ToList();
        // Only SQLite has released databases: the version before migrations never ran on PostgreSQL.
        var released = sqlite && await IsReleasedDatabaseAsync(db, cancellationToken);
        // Recording the Initial migration creates the history table: only when migrating is what the operator asked for.
        if (released && migrate)
            await AdoptReleasedDatabaseAsync(db, known[0], cancellationToken);
        List<string> applied = released && !migrate ? [known[0]] : await AppliedAsync(db, sqlite, migrate, cancellationToken);
        var unknown = applied.Except(known, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new DatabaseSchemaException(
                $"The database was migrated by a newer version of ChatOpsBot (migrations this version does not know: {string.Join(", ", unknown)}). " +
                "Run that version again, or restore the backup taken before the upgrade; this version does not run against a schema it does not know.");

        var pending = known.Except(applied, StringComparer.Ordinal).ToList();
        // On PostgreSQL Hangfire's tables live in the same database, and are installed and upgraded with the migrations.
        var jobStorage = postgres is null ? null : await PostgresJobStorage.PrepareAsync(postgres, migrate: false, cancellationToken);
        if (pending.Count == 0 && jobStorage is null)
        {
            LogSchemaCurrent(known[^1]);
            return;
        }
        if (!migrate)
            throw new DatabaseSchemaException(
                $"The database is behind this version of ChatOpsBot ({string.Join("; ", Pending(pending, jobStorage))}) and " +
                $"{ChatOpsBotOptions.Section}:Database:MigrateAtStart is false. Run `dotnet ChatOpsBot.dll migrate` with the same configuration first.")
            { Behind = true };

        if (pending.Count > 0)
            LogMigrating(pending.Count, pending);
        // EF Core holds a database-wide lock while it migrates and reads the history after taking it, so replicas
        // starting at once apply each migration once; the others wait. On SQLite the lock is a row in
        // __EFMigrationsLock; on PostgreSQL it is LOCK TABLE "__EFMigrationsHistory" IN ACCESS EXCLUSIVE MODE inside
        // the migration transaction (Npgsql's NpgsqlHistoryRepository), which ends with that transaction or its
        // session, and the schema lock this host already holds keeps other ChatOpsBot hosts out before that.
        await db.Database.MigrateAsync(cancellationToken);
        if (postgres is not null)
            await PostgresJobStorage.PrepareAsync(postgres, migrate: true, cancellationToken);
        LogSchemaCurrent(known[^1]);
    }

    private static async Task<List<string>> AppliedAsync(ChatOpsBotDb db, bool sqlite, bool migrate, CancellationToken cancellationToken)
    {
        // Npgsql reads a missing history table as an empty one, but EF Core logs the failed read as an error first, and
        // again inside MigrateAsync: a fresh database is nothing to report, so the history is made before it is read.
        if (!sqlite && !await TableExistsAsync(db, HistoryRepository.DefaultTableName, cancellationToken))
        {
            if (await TableExistsAsync(db, "Builds", cancellationToken))
                throw new DatabaseSchemaException(
                    "The database has ChatOpsBot's tables but no migration history, which no version of ChatOpsBot makes on PostgreSQL. " +
                    $"Restore a backup (pg_restore) or point {ChatOpsBotOptions.Section}:Database:ConnectionString at an empty database.");
            if (!migrate)
                return [];
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }
        return [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)];
    }

    private static IEnumerable<string> Pending(List<string> migrations, string? jobStorage)
    {
        if (migrations.Count > 0)
            yield return $"pending migrations: {string.Join(", ", migrations)}";
        if (jobStorage is not null)
            yield return jobStorage;
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

    /// <summary>
    /// The tables are there but no migration history: the released version made it with EnsureCreated. (SQLite only:
    /// Npgsql's history repository answers that the history exists whether or not it does.)
    /// </summary>
    private static async Task<bool> IsReleasedDatabaseAsync(ChatOpsBotDb db, CancellationToken cancellationToken) =>
        !await db.GetService<IHistoryRepository>().ExistsAsync(cancellationToken) && await TableExistsAsync(db, "Builds", cancellationToken);

    /// <summary>Whether the table exists where the context's unqualified names resolve: SQLite's catalog, or PostgreSQL's search path.</summary>
    private static async Task<bool> TableExistsAsync(ChatOpsBotDb db, string table, CancellationToken cancellationToken) =>
        await (db.Database.IsSqlite()
            ? db.Database.SqlQuery<int>($"SELECT COUNT(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = {table}")
            // to_regclass resolves an unqualified, quoted name through search_path as the context's SQL does.
            : db.Database.SqlQuery<int>($"SELECT CASE WHEN to_regclass(quote_ident({table})) IS NULL THEN 0 ELSE 1 END AS \"Value\""))
            .SingleAsync(cancellationToken) > 0;

    private void StillWaiting(bool sqlite, TimeSpan elapsed)
    {
        if (sqlite)
            LogStillMigrating(elapsed);
        else
            LogStillMigratingPostgres(elapsed);
    }

    [LoggerMessage(EventId = 5700, Level = LogLevel.Information, Message = "Database made by the released version (no migration history) recorded as at migration {Migration}")]
    private partial void LogAdopted(string migration);

    [LoggerMessage(EventId = 5701, Level = LogLevel.Information, Message = "Migrating the database: {Count} pending database migrations {Migrations}")]
    private partial void LogMigrating(int count, IEnumerable<string> migrations);

    [LoggerMessage(EventId = 5703, Level = LogLevel.Warning, Message = "Still migrating the database after {Elapsed}: another host may be migrating it, or one killed while migrating left its lock. If no other host is running, remove the lock: DELETE FROM \"__EFMigrationsLock\"")]
    private partial void LogStillMigrating(TimeSpan elapsed);

    [LoggerMessage(EventId = 5710, Level = LogLevel.Warning, Message = "Still migrating the database after {Elapsed}: another host is migrating it, and this one waits for its schema lock (a PostgreSQL advisory lock) or EF Core's lock on \"__EFMigrationsHistory\". Both end with the other host's session, so a killed host leaves neither behind; to see who holds them: SELECT a.pid, a.application_name, a.client_addr, a.backend_start, a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted AND ((l.locktype = 'advisory' AND l.classid = 1129267795 AND l.objid = 1) OR l.relation = to_regclass('\"__EFMigrationsHistory\"'))")]
    private partial void LogStillMigratingPostgres(TimeSpan elapsed);

    [LoggerMessage(EventId = 5712, Level = LogLevel.Warning, Message = "The PostgreSQL database is unreachable after {Elapsed} ({Reason}); trying again")]
    private partial void LogDatabaseUnreachable(TimeSpan elapsed, string reason);

    [LoggerMessage(EventId = 5702, Level = LogLevel.Information, Message = "Database schema is current (migration {Migration})")]
    private partial void LogSchemaCurrent(string migration);
}
