using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace ChatOpsBot.Data;

/// <summary>
/// The host's one <see cref="NpgsqlDataSource"/> on PostgreSQL, and so its one connection pool: EF Core takes it from
/// the host's services, and the manifest lookup and Hangfire open their connections from it too. Session-level
/// advisory locks never use it: they take connections of <see cref="PostgresLockConnections"/>, outside the pool.
/// </summary>
internal static class PostgresDataSource
{
    private const string Key = $"{ChatOpsBotOptions.Section}:Database:ConnectionString";

    /// <summary>What is wrong with the PostgreSQL settings; never the connection string itself, which holds a password.</summary>
    public static IEnumerable<string> Validate(DatabaseOptions database)
    {
        if (database.Provider != DatabaseProvider.Postgres)
            yield break;
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            yield return $"{Key} is required when {ChatOpsBotOptions.Section}:Database:Provider is Postgres, in Npgsql's syntax: " +
                "Host=db.example.com;Database=chatopsbot;Username=chatopsbot;Password=…";
            yield break;
        }
        if (Problem(database.ConnectionString) is { } problem)
            yield return $"{Key} is not a valid Npgsql connection string: {problem}";
    }

    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = Builder(connectionString, "ChatOpsBot");
        // A pooled connection goes back to the pool as its session is: nothing run on it sets session state (no SET,
        // LISTEN, temporary table or session advisory lock; the locks use PostgresLockConnections). Resetting costs
        // seven statements per open when statements are prepared (RESET ALL, pg_advisory_unlock_all(), DISCARD …),
        // which measured as half of PostgreSQL's CPU per manifest request (docs/benchmarks.md, issue 11).
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        // EF Core sends its statements unprepared, so the server parsed and planned each of /install's five per
        // command; prepared once per connection, /install doubled its commands/s (docs/benchmarks.md, issue 11). An
        // operator's own value wins, such as 0 behind a PgBouncer that does not keep prepared statements.
        if (!Names(connectionString, "Max Auto Prepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPrepared;
            if (!Names(connectionString, "Auto Prepare Min Usages"))
                builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }
        return builder.Build();
    }

    /// <summary>
    /// "cached plan must not change result type": a statement prepared before a migration changed a column it returns.
    /// Every pooled connection that prepared it fails so once, so the pool is cleared (<see cref="ForgetStatementsAfter"/>)
    /// and the one retry runs on a fresh connection.
    /// </summary>
    public const string StalePreparedStatement = PostgresErrorCodes.FeatureNotSupported;

    /// <summary>
    /// Clears the pool when <paramref name="exception"/> says a prepared statement went stale: idle connections close
    /// and busy ones close when returned, so no connection with the old statement prepared is handed out again.
    /// </summary>
    public static bool ForgetStatementsAfter(Exception exception, NpgsqlDataSource? dataSource)
    {
        if (exception is not PostgresException { SqlState: StalePreparedStatement } || dataSource is null)
            return false;
        dataSource.Clear();
        return true;
    }

    /// <summary>Statements each connection keeps prepared unless the connection string says otherwise.</summary>
    internal const int AutoPrepared = 64;

    // Whether the operator's connection string sets the keyword, however spaced or cased (Npgsql accepts both).
    private static bool Names(string connectionString, string keyword)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var wanted = keyword.Replace(" ", "", StringComparison.Ordinal);
        return given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), wanted, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A pool of its own for the manifest lookups, whose sessions plan prepared statements generically. The lookup
    /// takes an array of hashes, and PostgreSQL planned it afresh for every execution (a custom plan each time, never
    /// switching to the generic one it would reuse): 0.2 ms of planning for 0.06 ms of execution, the larger part of
    /// the server's CPU per manifest request. The generic plan is the same plan (the token index, then the build by
    /// key). Only these connections are set so, at their opening, so no other statement's planning changes.
    /// </summary>
    public static NpgsqlDataSource CreateForManifestLookups(string connectionString)
    {
        var builder = Builder(connectionString, "ChatOpsBot manifests");
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        builder.UsePhysicalConnectionInitializer(
            connection => { using var set = new NpgsqlCommand(GenericPlans, connection); set.ExecuteNonQuery(); },
            async connection => { await using var set = new NpgsqlCommand(GenericPlans, connection); await set.ExecuteNonQueryAsync(); });
        return builder.Build();
    }

    private const string GenericPlans = "SET plan_cache_mode = force_generic_plan";

    /// <summary>The same server and credentials without a pool, for connections whose session must end when they close.</summary>
    public static NpgsqlDataSource CreateUnpooled(string connectionString)
    {
        var builder = Builder(connectionString, "ChatOpsBot locks");
        builder.ConnectionStringBuilder.Pooling = false;
        return builder.Build();
    }

    private static NpgsqlDataSourceBuilder Builder(string connectionString, string applicationName)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Names the replica's connections in pg_stat_activity unless the operator chose a name.
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
            builder.ConnectionStringBuilder.ApplicationName = applicationName;
        // Nothing here uses TransactionScope; Hangfire.PostgreSql asks for connections that do not enlist in one.
        builder.ConnectionStringBuilder.Enlist = false;
        return builder;
    }

    private static string? Problem(string connectionString)
    {
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(parsed.Host) ? "it names no Host." : null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql's own sentence names the keyword at fault ("Keyword not supported: 'hots'"), not its value.
            return e.Message;
        }
    }
}

/// <summary>
/// Connections for session-level advisory locks (the schema lock, the artifact locks). They are not pooled, so closing
/// one ends its PostgreSQL session and with it every lock the session holds, whatever happened before: a lock can
/// never stay behind on an idle pooled connection, which the host's own pool no longer resets on return.
/// </summary>
internal sealed class PostgresLockConnections(NpgsqlDataSource unpooled) : IAsyncDisposable
{
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => unpooled.OpenConnectionAsync(cancellationToken);

    public ValueTask DisposeAsync() => unpooled.DisposeAsync();
}

/// <summary>
/// EF Core's side of <see cref="PostgresDataSource.ForgetStatementsAfter"/>: a command that failed on a stale prepared
/// statement clears the host's pool before the execution strategy retries it. One instance for every host, so EF Core
/// keeps one set of internal services.
/// </summary>
internal sealed class StalePreparedStatements : DbCommandInterceptor
{
    public static readonly StalePreparedStatements Instance = new();

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) =>
        Forget(eventData);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData);
        return Task.CompletedTask;
    }

    private static void Forget(CommandErrorEventData eventData)
    {
        if (eventData.Context is { } context)
            PostgresDataSource.ForgetStatementsAfter(eventData.Exception, context.GetService<IDbContextOptions>()
                .FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider?.GetService<NpgsqlDataSource>());
    }
}
