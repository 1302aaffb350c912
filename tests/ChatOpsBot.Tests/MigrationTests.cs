using System.Net;
using System.Text.Json;
using ChatOpsBot.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// Schema migrations: a database the released version wrote (ef88340, schema by EnsureCreated) keeps every row, a fresh
/// one gets every migration, and the host refuses what it cannot serve.
/// </summary>
public sealed class MigrationTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static readonly string[] Tables =
        ["Apps", "Builds", "InstallLinks", "LinkEvents", "LinkDownloads", "Subscriptions", "Announcements", "AnnouncementDeliveries", "TeamsConversations", "LinkMessages"];

    /// <summary>The migrations this binary has, in order.</summary>
    private static List<string> KnownMigrations()
    {
        using var db = new SqliteChatOpsBotDbDesignTimeFactory().CreateDbContext([]);
        return [.. db.Database.GetMigrations()];
    }

    private static string CopyReleasedDatabase()
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-released-").FullName;
        File.Copy(Path.Combine(Fixtures, "released-ef88340.db"), Path.Combine(data, "chatopsbot.db"));
        return data;
    }

    private static SqliteConnection Open(string data)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(data, "chatopsbot.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static List<string> Query(string data, string sql)
    {
        using var connection = Open(data);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    }

    /// <summary>
    /// Columns of the released schema that a later migration drops on purpose: <c>InstallLinks.ExpiredAt</c>, which
    /// the expiry job wrote and nothing read (expiry is derived from <c>ExpiresAt</c>).
    /// </summary>
    private static readonly HashSet<(string Table, string Column)> DroppedColumns = [("InstallLinks", "ExpiredAt")];

    /// <summary>Every row of every table of the released schema, as text: its columns by name, less the dropped ones.</summary>
    private static Dictionary<string, List<string>> Rows(string data)
    {
        var released = CopyReleasedDatabase();
        try
        {
            return Tables.ToDictionary(t => t, t =>
            {
                var columns = Query(released, $"SELECT name FROM pragma_table_info('{t}') ORDER BY cid")
                    .Where(c => !DroppedColumns.Contains((t, c))).Select(c => $"\"{c}\"");
                return Query(data, $"SELECT {string.Join(", ", columns)} FROM \"{t}\" ORDER BY rowid");
            });
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(released, recursive: true);
        }
    }

    private static List<string> History(string data) => Query(data, "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"");

    private static List<string> Schema(string data) =>
        Query(data, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '%EFMigrations%' ORDER BY name");

    [Fact]
    [Trait("Provider", "Sqlite")]
    public async Task ADatabaseTheReleasedVersionWroteKeepsEveryRowAndItsLiveInstallLinkAndGetsTheLaterMigrations()
    {
        var data = CopyReleasedDatabase();
        try
        {
            var before = Rows(data);
            using var fixture = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Fixtures, "released-ef88340.json")));
            Assert.All(Tables, t => Assert.Equal(fixture.RootElement.GetProperty("rows").GetProperty(t).GetInt64(), before[t].Count));
            Assert.All(Tables, t => Assert.NotEmpty(before[t]));
            var token = fixture.RootElement.GetProperty("installToken").GetString();

            await using (var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), dataDirectory: data))
            {
                using var client = app.CreateLoopbackClient();
                // The fixture's links were minted at the test clock's start and live for an hour.
                using (var page = await client.GetAsync($"/i/{token}"))
                    Assert.Equal(HttpStatusCode.OK, page.StatusCode);
                using (var manifest = await client.GetAsync($"/i/{token}/manifest.plist"))
                {
                    Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
                    Assert.Contains("com.example", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }
                Assert.Contains(app.Logs, l => l.Contains("recorded as at migration", StringComparison.Ordinal));
            }
            SqliteConnection.ClearAllPools();

            var after = Rows(data);
            // The visits above add link events; every row that was there is still there, unchanged.
            foreach (var table in Tables)
                Assert.Equal(before[table], after[table].Take(before[table].Count));
            Assert.Equal(before.Where(t => t.Key != "LinkEvents"), after.Where(t => t.Key != "LinkEvents"));
            Assert.Equal(KnownMigrations(), History(data));
            // And the upgraded schema is the one a fresh install gets.
            var fresh = Directory.CreateTempSubdirectory("chatopsbot-fresh-").FullName;
            try
            {
                await using (var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), dataDirectory: fresh))
                    app.CreateLoopbackClient().Dispose();
                SqliteConnection.ClearAllPools();
                Assert.Equal(Schema(fresh), Schema(data));
            }
            finally
            {
                Directory.Delete(fresh, recursive: true);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task AFreshDataDirectoryGetsEveryMigrationAndTheSchemaTheModelDescribes()
    {
        // On PostgreSQL an empty database of its own, not the migrated copy hosts in tests usually start from.
        var data = Directory.CreateTempSubdirectory("chatopsbot-fresh-").FullName;
        try
        {
            var empty = TestProvider.DatabaseSettings(data).ToDictionary(s => s.Key, s => (string?)s.Value);
            await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(empty), dataDirectory: data);
            app.CreateLoopbackClient().Dispose();
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();

            Assert.IsType(TestProvider.IsPostgres ? typeof(PostgresChatOpsBotDb) : typeof(SqliteChatOpsBotDb), db);
            var known = db.Database.GetMigrations().ToList();
            Assert.Contains(app.Logs, l => l.Contains($"{known.Count} pending database migrations", StringComparison.Ordinal));
            Assert.Equal(known, await db.Database.GetAppliedMigrationsAsync());
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            // SQLite's set starts at the released schema and adds what came later; PostgreSQL's starts with today's model.
            Assert.Equal(TestProvider.IsPostgres ? 8 : 9, known.Count);
            Assert.EndsWith("_Initial", known[0], StringComparison.Ordinal);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
            await TestProvider.RemoveDatabaseAsync(data);
        }
    }

    [Fact]
    [Trait("Provider", "Sqlite")]
    public void TheSqliteMigrationsDescribeTheWholeModel()
    {
        using var db = new SqliteChatOpsBotDbDesignTimeFactory().CreateDbContext([]);

        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration: run dotnet ef migrations add (docs/operations.md).");
    }
}

/// <summary>A migration lock left by a host killed while migrating: the start waits, says why, and goes on once it is removed.</summary>
/// <remarks>SQLite's lock is a row a killed host leaves behind; PostgreSQL's is a table lock that ends with the session.</remarks>
[Trait("Provider", "Sqlite")]
public sealed class MigrationLockTests
{
    [Fact]
    public async Task AStartWaitingForAMigrationLockLogsHowToRemoveItAndServesOnceItIsGone()
    {
        var data = Directory.CreateTempSubdirectory("chatopsbot-lock-").FullName;
        var file = $"Data Source={Path.Combine(data, "chatopsbot.db")};Pooling=False";
        try
        {
            using (var connection = new SqliteConnection(file))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = """
                    CREATE TABLE "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
                    INSERT INTO "__EFMigrationsLock" ("Id", "Timestamp") VALUES (1, '2026-11-23 08:00:00');
                    """;
                command.ExecuteNonQuery();
            }
            await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), dataDirectory: data);
            var started = Task.Run(app.CreateLoopbackClient);

            // A deadline, not a timing assertion: the clock moves until the waiting start has said why it waits.
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (!app.Logs.Any(l => l.Contains("DELETE FROM \"__EFMigrationsLock\"", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, "The start did not say it waits for the migration lock.");
                Assert.False(started.IsCompleted, "The start did not wait for the migration lock.");
                app.Clock.Advance(DatabaseSchema.Patience);
                await Task.Delay(20);
            }
            Assert.False(started.IsCompleted);
            using (var connection = new SqliteConnection(file))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "DELETE FROM \"__EFMigrationsLock\"";
                command.ExecuteNonQuery();
            }

            using var client = await started.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
