using System.Net;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>Settings and queries the PostgreSQL tests share.</summary>
internal static class PostgresTestDatabase
{
    /// <summary>The host's settings (three API keys) on the given database.</summary>
    public static Dictionary<string, string?> Settings(string connectionString, Dictionary<string, string?>? extra = null)
    {
        var settings = ChatOpsBotApplication.WithApiKeys(new()
        {
            ["ChatOpsBot:Database:Provider"] = "Postgres",
            ["ChatOpsBot:Database:ConnectionString"] = connectionString,
        });
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return settings;
    }

    public static string Name(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database!;

    public static async Task<List<string>> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static Task<List<string>> HistoryAsync(string connectionString) =>
        QueryAsync(connectionString, "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"");

    /// <summary>The tables in the database's public and hangfire schemas.</summary>
    public static Task<List<string>> TablesAsync(string connectionString) =>
        QueryAsync(connectionString, "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname IN ('public', 'hangfire') ORDER BY 1");

    /// <summary>The PostgreSQL migrations this binary has, in order.</summary>
    public static List<string> KnownMigrations()
    {
        using var db = new PostgresChatOpsBotDbDesignTimeFactory().CreateDbContext([]);
        return [.. db.Database.GetMigrations()];
    }
}

/// <summary>Schema migrations on PostgreSQL, through the host in this process.</summary>
[Trait("Provider", "Postgres")]
public sealed class PostgresMigrationTests
{
    [Fact]
    public async Task AFreshPostgresDatabaseGetsEveryMigrationAndHangfiresTables()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        try
        {
            await using (var app = new ChatOpsBotApplication(PostgresTestDatabase.Settings(connectionString)))
            {
                using var client = app.CreateLoopbackClient();
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();

                Assert.IsType<PostgresChatOpsBotDb>(db);
                Assert.Equal(PostgresTestDatabase.KnownMigrations(), await db.Database.GetAppliedMigrationsAsync());
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());
                // No released database ever ran on PostgreSQL: one migration holds the whole model.
                Assert.EndsWith("_Initial", Assert.Single(PostgresTestDatabase.KnownMigrations()), StringComparison.Ordinal);
                // A fresh database is nothing to report: no failed command logged on the way.
                Assert.Empty(app.ServerErrors());
            }
            var tables = await PostgresTestDatabase.TablesAsync(connectionString);
            Assert.Contains("public.InstallLinks", tables);
            Assert.Contains("hangfire.job", tables);
            Assert.Contains("hangfire.lock", tables);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(PostgresTestDatabase.Name(connectionString));
        }
    }

    [Fact]
    public void EachProvidersMigrationsDescribeTheWholeModel()
    {
        using var sqlite = new SqliteChatOpsBotDbDesignTimeFactory().CreateDbContext([]);
        using var postgres = new PostgresChatOpsBotDbDesignTimeFactory().CreateDbContext([]);

        Assert.False(sqlite.Database.HasPendingModelChanges(), "The model changed without a SQLite migration (docs/operations.md).");
        Assert.False(postgres.Database.HasPendingModelChanges(), "The model changed without a PostgreSQL migration (docs/operations.md).");
    }

    [Fact]
    public async Task AStartWaitingForAnotherHostsSchemaLockSaysHowToFindItAndServesOnceItIsReleased()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        try
        {
            // Another host preparing the schema: its session holds the lock.
            // Unpooled: closing it ends the session, as a killed host's would end.
            await using var other = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await other.OpenAsync();
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresSchemaLock.ClassId}, {PostgresSchemaLock.ObjectId})", other))
                await take.ExecuteNonQueryAsync();

            await using var app = new ChatOpsBotApplication(PostgresTestDatabase.Settings(connectionString));
            var started = Task.Run(app.CreateLoopbackClient);

            // A deadline, not a timing assertion: the clock moves until the waiting start has said why it waits.
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (!app.Logs.Any(l => l.Contains("[5710]", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, "The start did not say it waits for the schema lock." + app.ServerErrors());
                Assert.False(started.IsCompleted, "The start did not wait for the schema lock.");
                app.Clock.Advance(DatabaseSchema.Patience);
                await Task.Delay(20);
            }
            var warning = app.Logs.First(l => l.Contains("[5710]", StringComparison.Ordinal));
            Assert.Contains($"l.classid = {PostgresSchemaLock.ClassId} AND l.objid = {PostgresSchemaLock.ObjectId}", warning, StringComparison.Ordinal);
            Assert.Contains("__EFMigrationsHistory", warning, StringComparison.Ordinal);
            Assert.Empty(await PostgresTestDatabase.TablesAsync(connectionString));
            Assert.False(started.IsCompleted);

            // The other host is gone (killed: its session ends, and the lock with it).
            await other.CloseAsync();

            using var client = await started.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
            Assert.Equal(PostgresTestDatabase.KnownMigrations(), await PostgresTestDatabase.HistoryAsync(connectionString));
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(PostgresTestDatabase.Name(connectionString));
        }
    }
}

/// <summary>A start while PostgreSQL is not up yet, on a cluster of its own that the test stops and starts.</summary>
[Trait("Provider", "Postgres")]
public sealed class PostgresStartupTests
{
    [Fact]
    public async Task AStartWaitsForAPostgresServerThatIsNotUpYetAndServesOnceItIs()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        await PostgresTestDatabase.ExecuteAsync(cluster.ServerConnectionString, "CREATE DATABASE chatopsbot");
        await cluster.StopAsync();

        await using var app = new ChatOpsBotApplication(PostgresTestDatabase.Settings(cluster.ConnectionString("chatopsbot")));
        var started = Task.Run(app.CreateLoopbackClient);
        int Retries() => app.Logs.Count(l => l.Contains("[5712]", StringComparison.Ordinal));

        // Deadlines, not timing assertions: the clock moves only for the retries the test wants.
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (Retries() < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "The start did not say it waits for the database." + app.ServerErrors());
            Assert.False(started.IsCompleted, "The start did not wait for the database.");
            app.Clock.Advance(DatabaseSchema.ConnectRetry);
            await Task.Delay(20);
        }
        Assert.False(started.IsCompleted);
        await cluster.StartAgainAsync();
        while (!started.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "The start did not go on once the database was up.");
            app.Clock.Advance(DatabaseSchema.ConnectRetry);
            await Task.Delay(20);
        }

        using var client = await started;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(PostgresTestDatabase.KnownMigrations(), await PostgresTestDatabase.HistoryAsync(cluster.ConnectionString("chatopsbot")));
    }
}

/// <summary>Migrations on PostgreSQL through the real host process: migrate, MigrateAtStart, a rollback, replicas at once, bad settings.</summary>
[Trait("Provider", "Postgres")]
public sealed class PostgresMigrationHostTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("chatopsbot-pg-migrate-").FullName;

    private string _connectionString = "";

    private static readonly string HostDll = Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll");

    public async Task InitializeAsync() => _connectionString = await TestPostgres.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        await TestPostgres.DropDatabaseAsync(PostgresTestDatabase.Name(_connectionString));
        Directory.Delete(_data, recursive: true);
    }

    private Dictionary<string, string> Environment(Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["ChatOpsBot__DataDirectory"] = _data,
            ["ChatOpsBot__ApiKeys__0__Name"] = "ci",
            ["ChatOpsBot__ApiKeys__0__Key"] = "a-key-long-enough-0123",
            ["ChatOpsBot__ApiKeys__0__Role"] = "Uploader",
            ["ChatOpsBot__Database__Provider"] = "Postgres",
            ["ChatOpsBot__Database__ConnectionString"] = _connectionString,
        };
        foreach (var (key, value) in extra ?? [])
            environment[key] = value;
        return environment;
    }

    private static void AssertCleanRefusal(int exit, string output)
    {
        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAppliesEveryMigrationInstallsHangfiresTablesAndExitsWithoutServing()
    {
        var (exit, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment(new() { ["ChatOpsBot__Database__MigrateAtStart"] = "false" }));

        Assert.True(exit == 0, output);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
        Assert.Equal(PostgresTestDatabase.KnownMigrations(), await PostgresTestDatabase.HistoryAsync(_connectionString));
        Assert.Contains("hangfire.job", await PostgresTestDatabase.TablesAsync(_connectionString));

        var (again, againOutput) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        Assert.True(again == 0, againOutput);
        Assert.Contains("Database schema is current", againOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("pending database migrations", againOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithMigrateAtStartOffTheHostRefusesAnEmptyDatabaseSayingToRunMigrateAndLeavesItEmpty()
    {
        var (exit, output) = await HostProcess.RunToExitAsync([], _data, Environment(new() { ["ChatOpsBot__Database__MigrateAtStart"] = "false" }));

        AssertCleanRefusal(exit, output);
        Assert.Contains("dotnet ChatOpsBot.dll migrate", output, StringComparison.Ordinal);
        Assert.Contains("ChatOpsBot:Database:MigrateAtStart", output, StringComparison.Ordinal);
        Assert.Contains(PostgresTestDatabase.KnownMigrations()[0], output, StringComparison.Ordinal);
        Assert.Contains("Hangfire's job storage", output, StringComparison.Ordinal);
        Assert.Empty(await PostgresTestDatabase.TablesAsync(_connectionString));
    }

    [Fact]
    public async Task WithMigrateAtStartOffTheHostRefusesADatabaseWithoutHangfiresTables()
    {
        var (migrated, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        Assert.True(migrated == 0, output);
        await PostgresTestDatabase.ExecuteAsync(_connectionString, "DROP SCHEMA hangfire CASCADE");

        var (exit, refused) = await HostProcess.RunToExitAsync([], _data, Environment(new() { ["ChatOpsBot__Database__MigrateAtStart"] = "false" }));

        AssertCleanRefusal(exit, refused);
        Assert.Contains("Hangfire's job storage (schema hangfire) is not installed", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("pending migrations", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithMigrateAtStartOffTheHostServesACurrentDatabase()
    {
        var (migrated, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        Assert.True(migrated == 0, output);

        using var host = HostProcess.Start("dotnet", [HostDll], _data, Environment(new() { ["ChatOpsBot__Database__MigrateAtStart"] = "false" }));
        using var client = new HttpClient { BaseAddress = new Uri(await host.ListeningAddress) };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task ADatabaseANewerVersionMigratedStopsTheHostAndMigrateSayingSo()
    {
        var (migrated, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        Assert.True(migrated == 0, output);
        await PostgresTestDatabase.ExecuteAsync(_connectionString,
            "INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ('29991231000000_FromTheFuture', '99.0.0')");

        var (exit, refused) = await HostProcess.RunToExitAsync([], _data, Environment());

        AssertCleanRefusal(exit, refused);
        Assert.Contains("newer version", refused, StringComparison.Ordinal);
        Assert.Contains("29991231000000_FromTheFuture", refused, StringComparison.Ordinal);
        var (migrateExit, migrateOutput) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        AssertCleanRefusal(migrateExit, migrateOutput);
        Assert.Equal([.. PostgresTestDatabase.KnownMigrations(), "29991231000000_FromTheFuture"], await PostgresTestDatabase.HistoryAsync(_connectionString));
    }

    [Fact]
    public async Task TwoHostsStartingAtOnceOnOneDatabaseBothServeAndApplyEachMigrationOnce()
    {
        using var first = HostProcess.Start("dotnet", [HostDll], _data, Environment());
        using var second = HostProcess.Start("dotnet", [HostDll], _data, Environment());

        foreach (var host in new[] { first, second })
        {
            using var client = new HttpClient { BaseAddress = new Uri(await host.ListeningAddress) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        }
        // One applies the migration under the schema lock; the other waits, then finds the schema current.
        var outputs = new[] { first.Output, second.Output };
        Assert.Single(outputs, o => o.Contains("1 pending database migrations", StringComparison.Ordinal));
        Assert.Single(outputs, o => o.Contains("Start installing Hangfire SQL objects", StringComparison.Ordinal));
        Assert.All(outputs, o => Assert.DoesNotContain("fail:", o, StringComparison.Ordinal));
        Assert.Equal(PostgresTestDatabase.KnownMigrations(), await PostgresTestDatabase.HistoryAsync(_connectionString));
    }

    [Fact]
    public async Task ADatabaseWithChatOpsBotsTablesButNoHistoryIsRefusedAndLeftAsItWas()
    {
        await PostgresTestDatabase.ExecuteAsync(_connectionString, "CREATE TABLE \"Builds\" (\"Id\" bigint PRIMARY KEY)");

        var (exit, output) = await HostProcess.RunToExitAsync([], _data, Environment());

        AssertCleanRefusal(exit, output);
        Assert.Contains("no migration history", output, StringComparison.Ordinal);
        Assert.Contains("pg_restore", output, StringComparison.Ordinal);
        Assert.Equal(["public.Builds"], await PostgresTestDatabase.TablesAsync(_connectionString));
    }

    [Fact]
    public async Task ADatabaseThatDoesNotExistStopsTheHostSayingSo()
    {
        var missing = new NpgsqlConnectionStringBuilder(_connectionString) { Database = "chatopsbot_missing_" + Guid.NewGuid().ToString("N") }.ConnectionString;

        var (exit, output) = await HostProcess.RunToExitAsync([], _data, Environment(new() { ["ChatOpsBot__Database__ConnectionString"] = missing }));

        AssertCleanRefusal(exit, output);
        Assert.Contains("Cannot connect to the PostgreSQL database of ChatOpsBot:Database:ConnectionString", output, StringComparison.Ordinal);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "ChatOpsBot:Database:ConnectionString is required when ChatOpsBot:Database:Provider is Postgres")]
    [InlineData("Hots=db.example.com;Password=hunter2-secret", "ChatOpsBot:Database:ConnectionString is not a valid Npgsql connection string")]
    [InlineData("Database=chatopsbot;Password=hunter2-secret", "ChatOpsBot:Database:ConnectionString is not a valid Npgsql connection string: it names no Host.")]
    [InlineData("Host=db.example.com;Port=five;Password=hunter2-secret", "ChatOpsBot:Database:ConnectionString is not a valid Npgsql connection string")]
    public async Task AMissingOrInvalidConnectionStringStopsTheHostNamingTheKeyButNotThePassword(string connectionString, string message)
    {
        foreach (var arguments in new[] { Array.Empty<string>(), ["migrate"] })
        {
            var (exit, output) = await HostProcess.RunToExitAsync(arguments, _data, Environment(new() { ["ChatOpsBot__Database__ConnectionString"] = connectionString }));

            AssertCleanRefusal(exit, output);
            Assert.Contains(message, output, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
    }
}
