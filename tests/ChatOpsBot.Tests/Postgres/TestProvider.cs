using System.Data.Common;
using System.Security.Cryptography;
using System.Text;

namespace ChatOpsBot.Tests;

/// <summary>
/// Which database provider the behaviour tests run on: SQLite unless <c>CHATOPSBOT_TEST_PROVIDER=Postgres</c>
/// (./test.sh's second pass). On PostgreSQL each data directory gets a database of its own on the shared server,
/// named after the directory, so a host restarted on the same directory finds the same rows.
/// </summary>
internal static class TestProvider
{
    public const string Variable = "CHATOPSBOT_TEST_PROVIDER";

    public static bool IsPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable(Variable), "Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The database a data directory's hosts use on PostgreSQL.</summary>
    public static string DatabaseName(string dataDirectory) =>
        "chatopsbot_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory)))))[..24];

    /// <summary>
    /// The settings that put a host on this data directory's database (creating it the first time), as configuration
    /// keys; none on SQLite, whose database is a file in the data directory.
    /// </summary>
    public static Dictionary<string, string> DatabaseSettings(string dataDirectory) => IsPostgres
        ? new()
        {
            ["ChatOpsBot:Database:Provider"] = "Postgres",
            ["ChatOpsBot:Database:ConnectionString"] = TestPostgres.CreateDatabase(DatabaseName(dataDirectory)),
        }
        : [];

    /// <summary>
    /// <see cref="DatabaseSettings"/> for a host the test boots in its process (<see cref="ChatOpsBotApplication"/>):
    /// the database starts as a copy of one this binary's migrations made, so that each host does not migrate a
    /// database of its own. Migrating itself is what the host-process tests (<see cref="DatabaseEnvironment"/>) and
    /// the PostgreSQL migration tests check, each on an empty database.
    /// </summary>
    public static Dictionary<string, string> MigratedDatabaseSettings(string dataDirectory) => IsPostgres
        ? new()
        {
            ["ChatOpsBot:Database:Provider"] = "Postgres",
            ["ChatOpsBot:Database:ConnectionString"] = CreateMigratedDatabase(DatabaseName(dataDirectory)),
        }
        : [];

    /// <summary>A database on the shared server as this build's migrations leave it (one that exists is reused); its connection string.</summary>
    internal static string CreateMigratedDatabase(string name) => TestPostgres.CreateDatabase(name, MigratedTemplate());

    /// <summary>The same as environment variables, for a host started as its own process (<c>dotnet ChatOpsBot.dll</c>).</summary>
    public static Dictionary<string, string> DatabaseEnvironment(string dataDirectory) =>
        DatabaseSettings(dataDirectory).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

    /// <summary>
    /// An open connection to the database a host on this data directory uses, for a test that looks at rows or history
    /// itself: the SQLite file (unpooled, so the directory can be deleted) or the directory's PostgreSQL database.
    /// </summary>
    public static DbConnection Connect(string dataDirectory)
    {
        DbConnection connection = IsPostgres
            ? new Npgsql.NpgsqlConnection(TestPostgres.ConnectionString(DatabaseName(dataDirectory)))
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "chatopsbot.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static readonly Lock TemplateLock = new();
    private static string? _template;

    /// <summary>The migrated template on the shared server, made by the first host that needs it (a failed attempt is tried again).</summary>
    private static string MigratedTemplate()
    {
        lock (TemplateLock)
            return _template ??= MakeMigratedTemplate();
    }

    /// <summary>
    /// A database a host of this very build migrated at its start, marked as a template. Its name comes from the build
    /// (the product assembly's id), so a server that outlives a rebuild never hands out an older schema; an advisory
    /// lock keeps two test processes on one server from making it at once.
    /// </summary>
    private static string MakeMigratedTemplate()
    {
        var build = typeof(Program).Assembly.ManifestModule.ModuleVersionId.ToString("N");
        var name = "chatopsbot_template_" + build[..20];
        var lockId = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
        using var server = new Npgsql.NpgsqlConnection(TestPostgres.ServerConnectionString);
        server.Open();
        Execute(server, $"SELECT pg_advisory_lock({lockId})");
        try
        {
            using (var made = new Npgsql.NpgsqlCommand($"SELECT COUNT(*) FROM pg_database WHERE datname = '{name}' AND datistemplate", server))
            {
                if ((long)made.ExecuteScalar()! > 0)
                    return name;
            }
            // A process killed while making it leaves it half made and unmarked.
            Execute(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            var connectionString = TestPostgres.CreateDatabase(name);
            using (var host = new ChatOpsBotApplication(new()
            {
                ["ChatOpsBot:Database:Provider"] = "Postgres",
                ["ChatOpsBot:Database:ConnectionString"] = connectionString,
            }))
            {
                host.CreateLoopbackClient().Dispose();
            }
            // What the host made at its start besides the schema (a set-up code, a Data Protection key) is its own,
            // not every copy's: each host made from the template starts as on a fresh database.
            using (var template = new Npgsql.NpgsqlConnection(connectionString))
            {
                template.Open();
                Execute(template, "DELETE FROM \"SetupCodes\"; DELETE FROM \"DataProtectionKeys\"");
            }
            Npgsql.NpgsqlConnection.ClearAllPools();
            // The host's pool is gone with the host; CREATE DATABASE … TEMPLATE waits a moment for its sessions to end.
            Execute(server, $"ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true");
            return name;
        }
        finally
        {
            Execute(server, $"SELECT pg_advisory_unlock({lockId})");
        }
    }

    private static void Execute(Npgsql.NpgsqlConnection connection, string sql)
    {
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Drops the data directory's database when there is one: for a test that deletes the directory itself.</summary>
    public static Task RemoveDatabaseAsync(string dataDirectory) =>
        IsPostgres ? TestPostgres.DropDatabaseAsync(DatabaseName(dataDirectory)) : Task.CompletedTask;

    /// <summary><see cref="RemoveDatabaseAsync"/> for a Dispose method.</summary>
    public static void RemoveDatabase(string dataDirectory)
    {
        if (IsPostgres)
            TestPostgres.DropDatabase(DatabaseName(dataDirectory));
    }
}
