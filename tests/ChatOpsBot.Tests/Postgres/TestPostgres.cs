using System.Text.RegularExpressions;
using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>
/// The PostgreSQL server the tests share, and a database of its own for each test or host. ./test.sh starts the server
/// and names it in <see cref="Variable"/>; without it (a test run from an IDE) the first use starts a cluster that is
/// removed when the test process exits.
/// </summary>
internal static partial class TestPostgres
{
    /// <summary>The environment variable holding the shared server's connection string (no database).</summary>
    public const string Variable = "CHATOPSBOT_TEST_POSTGRES";

    private static readonly Lock StartLock = new();
    private static string? _server;

    // Stopped and removed by its watchdog when this process exits; held here so that nothing closes its pipe before.
    private static PostgresCluster? _ownCluster;

    /// <summary>Npgsql connection string of the shared throwaway server, without a database.</summary>
    /// <remarks>A start that failed is tried again by the next test rather than failing every test after it.</remarks>
    public static string ServerConnectionString
    {
        get
        {
            lock (StartLock)
                return _server ??= StartOrFindServer();
        }
    }

    /// <summary>Creates an empty database (a unique name unless one is given; a given one that exists is reused) and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name = CheckName(name ?? UniqueName());
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        try
        {
            await command.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (IsDuplicate(e))
        {
        }
        return ConnectionString(name);
    }

    /// <summary>Drops a database, ending the sessions still connected to it (a host's pool).</summary>
    public static async Task DropDatabaseAsync(string name)
    {
        name = CheckName(name);
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        ForgetPool(name);
    }

    /// <summary><see cref="CreateDatabaseAsync"/> for a constructor, which cannot await.</summary>
    internal static string CreateDatabase(string name)
    {
        name = CheckName(name);
        using var connection = new NpgsqlConnection(ServerConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (PostgresException e) when (IsDuplicate(e))
        {
        }
        return ConnectionString(name);
    }

    /// <summary><see cref="DropDatabaseAsync"/> for a Dispose method.</summary>
    internal static void DropDatabase(string name)
    {
        name = CheckName(name);
        using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            command.ExecuteNonQuery();
        }
        ForgetPool(name);
    }

    public static string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database }.ConnectionString;

    /// <summary>Whether the database exists on the shared server.</summary>
    public static async Task<bool> DatabaseExistsAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM pg_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", name);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    /// <summary>It exists; or another host on the same data directory created it at the same moment (the catalog's unique index said so).</summary>
    private static bool IsDuplicate(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation;

    private static string UniqueName() => "test_" + Guid.NewGuid().ToString("N");

    /// <summary>Names go into SQL unquoted by parameters (CREATE DATABASE takes none): only plain lowercase identifiers.</summary>
    private static string CheckName(string name) => DatabaseName().IsMatch(name)
        ? name
        : throw new ArgumentException($"'{name}' is not a plain lowercase database name (a-z, 0-9, _; at most 63).", nameof(name));

    /// <summary>The sessions of a dropped database are gone; the pool of this process must not hand them out again.</summary>
    private static void ForgetPool(string name)
    {
        using var connection = new NpgsqlConnection(ConnectionString(name));
        NpgsqlConnection.ClearPool(connection);
    }

    private static string StartOrFindServer()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
            return configured;
        _ownCluster = PostgresCluster.Start();
        return _ownCluster.ServerConnectionString;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
