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
