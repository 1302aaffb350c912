using System.Globalization;
using System.Text.RegularExpressions;
using Hangfire.PostgreSql;
using Npgsql;

namespace ChatOpsBot.Jobs;

/// <summary>
/// Hangfire's job storage on PostgreSQL: the registry's database, schema <c>hangfire</c>, connections from the host's
/// data source. Its tables are part of the database schema: <see cref="PrepareAsync"/> runs with the migrations (at
/// start, or in <c>migrate</c>), so the storage itself never touches the database while the host is built and a
/// database that is briefly unreachable then does not stop the start.
/// </summary>
internal static partial class PostgresJobStorage
{
    public const string Schema = "hangfire";

    public static PostgreSqlStorage Create(NpgsqlDataSource dataSource) => new(new DataSourceConnections(dataSource), new PostgreSqlStorageOptions
    {
        SchemaName = Schema,
        PrepareSchemaIfNecessary = false,
        // Enqueued jobs (announcement deliveries, chat message updates) start within a second, not Hangfire's 15.
        QueuePollInterval = TimeSpan.FromSeconds(1),
        // A job whose worker died is fetched again after five minutes rather than thirty; while a worker lives, its
        // heartbeat keeps the job invisible however long it runs.
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = TimeSpan.FromMinutes(5),
    });

    /// <summary>
    /// Installs or upgrades Hangfire's tables when <paramref name="migrate"/>; otherwise says what is missing, or null.
    /// The caller holds the schema lock (<see cref="Data.PostgresSchemaLock"/>): Hangfire.PostgreSql's installer does
    /// not survive two replicas running it at once.
    /// </summary>
    public static async Task<string?> PrepareAsync(NpgsqlConnection connection, bool migrate, CancellationToken cancellationToken)
    {
        var installed = await InstalledVersionAsync(connection, cancellationToken);
        var latest = LatestVersion();
        if (installed >= latest)
            return null;
        if (!migrate)
            return installed == 0
                ? $"Hangfire's job storage (schema {Schema}) is not installed"
                : $"Hangfire's job storage (schema {Schema}) is at version {installed}, this version needs {latest}";
        // Synchronous: it is Hangfire.PostgreSql's only installer. It skips the scripts already applied.
        PostgreSqlObjectsInstaller.Install(connection, Schema);
        return null;
    }

    private static async Task<int> InstalledVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""SELECT CASE WHEN to_regclass('"{Schema}"."schema"') IS NULL THEN 0 ELSE 1 END""", connection);
        if (Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
            return 0;
        await using var version = new NpgsqlCommand($"""SELECT coalesce(max("version"), 0) FROM "{Schema}"."schema" """, connection);
        return Convert.ToInt32(await version.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The highest install script Hangfire.PostgreSql carries (Hangfire.PostgreSql.Scripts.Install.vN.sql).</summary>
    private static int LatestVersion() => typeof(PostgreSqlStorage).Assembly.GetManifestResourceNames()
        .Select(name => InstallScript().Match(name))
        .Where(m => m.Success)
        .Max(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\.Install\.v(\d+)\.sql$")]
    private static partial Regex InstallScript();

    private sealed class DataSourceConnections(NpgsqlDataSource dataSource) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
    }
}
