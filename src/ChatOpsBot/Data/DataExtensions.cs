using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Links;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Data;

internal static class DataExtensions
{
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        // The provider decides the context type, and with it the migration set, so it is read while registering.
        if (builder.Configuration.GetValue($"{ChatOpsBotOptions.Section}:Database:Provider", DatabaseProvider.Sqlite) == DatabaseProvider.Postgres)
            AddPostgres(builder.Services);
        else
            AddSqlite(builder.Services);
        builder.Services.AddSingleton(services =>
            new FileSystemArtifactStore(services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.DataPath));
        // The file system store is always there: uploads spool into its temporary directory whichever store keeps them.
        builder.Services.AddSingleton<IArtifactStore>(services =>
            services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.Artifacts is { Provider: ArtifactProvider.S3 } artifacts
                ? new S3ArtifactStore(artifacts.S3, services.GetRequiredService<ILogger<S3ArtifactStore>>())
                : services.GetRequiredService<FileSystemArtifactStore>());
        builder.Services.AddSingleton<DatabaseSchema>();
        builder.Services.AddHostedService<DataInitializer>();
        builder.Services.AddSingleton<DataHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<DataHealthCheck>("data", tags: ["ready"]);
        builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
        builder.Services.AddExceptionHandler<ArtifactStoreUnavailableHandler>();
        return builder;
    }

    private static void AddSqlite(IServiceCollection services)
    {
        // Pooled: every manifest and IPA request uses a context, and building one per request showed in profiles.
        services.AddDbContextPool<ChatOpsBotDb, SqliteChatOpsBotDb>((services, db) =>
        {
            var options = services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value;
            db.UseSqlite(options.Database.ConnectionString is { Length: > 0 } connectionString
                ? connectionString
                : new SqliteConnectionStringBuilder
                {
                    DataSource = Path.Combine(options.DataPath, "chatopsbot.db"),
                    Pooling = true,
                }.ToString());
            db.AddInterceptors(SqlitePragmas.Instance);
        });
        services.AddSingleton<IManifestLookup, SqliteManifestLookup>();
    }

    private static void AddPostgres(IServiceCollection services)
    {
        // One data source per host, so one pool. It is not handed to UseNpgsql: EF Core would then build its internal
        // services (and model) once per data source, which a process running many hosts, as the tests do, must not.
        // UseNpgsql() without a connection string takes the data source from the host's services instead.
        services.AddSingleton(services => PostgresDataSource.Create(
            services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.Database.ConnectionString!));
        services.AddSingleton(services => new PostgresLockConnections(PostgresDataSource.CreateUnpooled(
            services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.Database.ConnectionString!)));
        // One immediate retry of a statement (or of a transaction run through the strategy) that failed transiently:
        // after a server restart every idle pooled connection is broken and fails on first use. Only one, so while the
        // database is down a request still answers 503 at once (DatabaseUnavailable) instead of waiting through retries.
        // Also for a prepared statement whose result type a migration changed under this replica: the interceptor clears
        // the pool on that error, and the retry prepares the statement again on a fresh connection.
        services.AddDbContextPool<ChatOpsBotDb, PostgresChatOpsBotDb>(db => db
            .UseNpgsql(npgsql => npgsql.EnableRetryOnFailure(maxRetryCount: 1, maxRetryDelay: TimeSpan.FromSeconds(1), errorCodesToAdd: [PostgresDataSource.StalePreparedStatement]))
            .AddInterceptors(StalePreparedStatements.Instance));
        services.AddSingleton(services => new ManifestLookupConnections(PostgresDataSource.CreateForManifestLookups(
            services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.Database.ConnectionString!)));
        services.AddSingleton<IManifestLookup, PostgresManifestLookup>();
    }
}

/// <summary>Clears temporary upload files before the server takes requests; the schema is <see cref="DatabaseSchema"/>'s, done before the host starts.</summary>
internal sealed partial class DataInitializer(FileSystemArtifactStore artifacts, TimeProvider time, IOptions<ChatOpsBotOptions> options, ILogger<DataInitializer> logger) : IHostedService
{
    /// <summary>
    /// A temporary file untouched this long is a leftover. An upload writes its file as the bytes arrive (Kestrel ends
    /// a stalled body long before), and inspecting and storing it takes seconds to minutes.
    /// </summary>
    internal static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(1);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataPath);
        // Only old files: replicas sharing the artifact directory share its uploads in progress too.
        var removed = artifacts.RemoveTemporaryFiles(time.GetUtcNow().UtcDateTime - LeftoverAge);
        if (removed > 0)
            LogTemporaryFilesRemoved(removed);
        LogDataReady(options.Value.DataPath);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Removed {Count} temporary upload files an earlier run left over an hour ago")]
    private partial void LogTemporaryFilesRemoved(int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Data directory {DataDirectory} ready")]
    private partial void LogDataReady(string dataDirectory);
}

/// <summary>
/// Per-connection SQLite settings: with WAL, synchronous=NORMAL keeps the database consistent across crashes and
/// fsyncs at checkpoints instead of on every commit (a power cut may lose the last commits, never corrupt).
/// busy_timeout makes SQLite itself wait for the one write lock, retrying within milliseconds: without it
/// Microsoft.Data.Sqlite answers SQLITE_BUSY by sleeping 150 ms before trying again, so every request that wrote a
/// link event while the expiry job held the lock for a batch stalled for 150 ms.
/// </summary>
internal sealed class SqlitePragmas : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    // The busy timeout is Microsoft.Data.Sqlite's default command timeout (30 s), which bounded the wait before.
    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData)
    {
        if (connection is SqliteConnection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (connection is SqliteConnection)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
