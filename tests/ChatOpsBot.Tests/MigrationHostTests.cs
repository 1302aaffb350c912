using System.Net;
using ChatOpsBot.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Tests;

/// <summary>Migrations through the real host process: the migrate command, MigrateAtStart, a rollback, replicas at once.</summary>
public sealed class MigrationHostTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("chatopsbot-migrate-").FullName;

    private static readonly string HostDll = Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll");

    private Dictionary<string, string> Environment(Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["ChatOpsBot__DataDirectory"] = _data,
            ["ChatOpsBot__ApiKeys__0__Name"] = "ci",
            ["ChatOpsBot__ApiKeys__0__Key"] = "a-key-long-enough-0123",
            ["ChatOpsBot__ApiKeys__0__Role"] = "Uploader",
        };
        foreach (var (key, value) in extra ?? [])
            environment[key] = value;
        return environment;
    }

    /// <summary>The migrations this binary has for the provider the tests run on, in order.</summary>
    private static List<string> KnownMigrations()
    {
        using ChatOpsBotDb db = TestProvider.IsPostgres
            ? new PostgresChatOpsBotDbDesignTimeFactory().CreateDbContext([])
            : new SqliteChatOpsBotDbDesignTimeFactory().CreateDbContext([]);
        return [.. db.Database.GetMigrations()];
    }

    private List<string> History()
    {
        using var connection = TestProvider.Connect(_data);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    private void Execute(string sql)
    {
        using var connection = TestProvider.Connect(_data);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void AssertCleanRefusal(int exit, string output)
    {
        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAppliesEveryMigrationAndExitsWithoutServing()
    {
        var (exit, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment(new() { ["ChatOpsBot__Database__MigrateAtStart"] = "false" }));

        Assert.True(exit == 0, output);
        Assert.DoesNotContain("Now listening", output, StringComparison.Ordinal);
        Assert.Equal(KnownMigrations(), History());
    }

    [Fact]
    [Trait("Provider", "Sqlite")]
    public async Task MigrateUpgradesADatabaseTheReleasedVersionWrote()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "released-ef88340.db"), Path.Combine(_data, "chatopsbot.db"));

        var (exit, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());

        Assert.True(exit == 0, output);
        Assert.Equal(KnownMigrations(), History());
    }

    [Fact]
    [Trait("Provider", "Sqlite")]
    public async Task WithMigrateAtStartOffTheHostRefusesADatabaseBehindItAndSaysToRunMigrateLeavingItUntouched()
    {
        var released = Path.Combine(AppContext.BaseDirectory, "Fixtures", "released-ef88340.db");
        File.Copy(released, Path.Combine(_data, "chatopsbot.db"));

        var (exit, output) = await HostProcess.RunToExitAsync([], _data, Environment(new() { ["ChatOpsBot__Database__MigrateAtStart"] = "false" }));

        AssertCleanRefusal(exit, output);
        Assert.Contains("dotnet ChatOpsBot.dll migrate", output, StringComparison.Ordinal);
        Assert.Contains("ChatOpsBot:Database:MigrateAtStart", output, StringComparison.Ordinal);
        Assert.Contains(KnownMigrations()[1], output, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(released), await File.ReadAllBytesAsync(Path.Combine(_data, "chatopsbot.db")));
        Assert.Throws<SqliteException>(History);
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
    public async Task ADatabaseANewerVersionMigratedStopsTheHostSayingSo()
    {
        var (migrated, output) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        Assert.True(migrated == 0, output);
        Execute("INSERT INTO \"__EFMigrationsHistory\" (\"MigrationId\", \"ProductVersion\") VALUES ('29991231000000_FromTheFuture', '99.0.0')");

        var (exit, refused) = await HostProcess.RunToExitAsync([], _data, Environment());

        AssertCleanRefusal(exit, refused);
        Assert.Contains("newer version", refused, StringComparison.Ordinal);
        Assert.Contains("29991231000000_FromTheFuture", refused, StringComparison.Ordinal);
        var (migrateExit, migrateOutput) = await HostProcess.RunToExitAsync(["migrate"], _data, Environment());
        AssertCleanRefusal(migrateExit, migrateOutput);
    }

    [Fact]
    public Task TwoHostsStartingAtOnceOnOneDataDirectoryBothServeAndApplyEachMigrationOnce() => TwoHostsStartAtOnceAsync(released: false);

    [Fact]
    [Trait("Provider", "Sqlite")]
    public async Task TwoHostsStartingAtOnceOnADatabaseTheReleasedVersionWroteBothServeAndApplyEachMigrationOnce()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "released-ef88340.db"), Path.Combine(_data, "chatopsbot.db"));
        await TwoHostsStartAtOnceAsync(released: true);
    }

    private async Task TwoHostsStartAtOnceAsync(bool released)
    {
        using var first = HostProcess.Start("dotnet", [HostDll], _data, Environment());
        using var second = HostProcess.Start("dotnet", [HostDll], _data, Environment());

        foreach (var host in new[] { first, second })
        {
            using var client = new HttpClient { BaseAddress = new Uri(await host.ListeningAddress) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        }
        // Usually both find the migrations pending; EF Core's lock lets one apply them (the other would fail on tables
        // that already exist) while the other waits and then finds nothing left to do.
        var pending = KnownMigrations().Count - (released ? 1 : 0);
        Assert.Contains(new[] { first.Output, second.Output }, o => o.Contains($"{pending} pending database migrations", StringComparison.Ordinal));
        Assert.Equal(KnownMigrations(), History());
        // SQLite's lock is a row in a table of its own; PostgreSQL's a lock on the history table, which leaves nothing.
        if (!TestProvider.IsPostgres)
            Execute("SELECT COUNT(*) FROM \"__EFMigrationsLock\"");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
        TestProvider.RemoveDatabase(_data);
    }
}

internal static partial class HostProcess
{
    /// <summary>Runs the host with these arguments in this data directory until it exits.</summary>
    public static async Task<(int Exit, string Output)> RunToExitAsync(string[] arguments, string directory, Dictionary<string, string> environment)
    {
        var info = StartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ChatOpsBot.dll"), .. arguments], directory, environment);
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A deadline, not a timing assertion: a host that does not stop fails here instead of hanging the run.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The host kept running: " + await stdout + await stderr);
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
