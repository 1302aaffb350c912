using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>The PostgreSQL harness itself: what every PostgreSQL test relies on.</summary>
[Trait("Provider", "Postgres")]
public sealed class PostgresHarnessTests
{
    [Fact]
    public async Task ACreatedDatabaseStartsEmptyKeepsWhatIsWrittenAndIsGoneOnceDropped()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;

        Assert.Equal(0L, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"));
        await ExecuteAsync(connectionString, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)");
        Assert.Equal(7, await ScalarAsync(connectionString, "SELECT v FROM t"));

        await TestPostgres.DropDatabaseAsync(name);

        Assert.False(await TestPostgres.DatabaseExistsAsync(name));
    }

    [Fact]
    public async Task TwoUnnamedDatabasesAreDistinct()
    {
        var first = await TestPostgres.CreateDatabaseAsync();
        var second = await TestPostgres.CreateDatabaseAsync();
        await ExecuteAsync(first, "CREATE TABLE t (v int)");

        Assert.NotEqual(first, second);
        Assert.Equal(0L, await ScalarAsync(second, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 't'"));
        await TestPostgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(first).Database!);
        await TestPostgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(second).Database!);
    }

    [Fact]
    public async Task CreatingADatabaseByAnExistingNameReusesItsRows()
    {
        var name = "harness_" + Guid.NewGuid().ToString("N");
        var first = await TestPostgres.CreateDatabaseAsync(name);
        await ExecuteAsync(first, "CREATE TABLE t (v int); INSERT INTO t VALUES (1)");

        var again = await TestPostgres.CreateDatabaseAsync(name);

        Assert.Equal(1, await ScalarAsync(again, "SELECT v FROM t"));
        await TestPostgres.DropDatabaseAsync(name);
    }

    [Fact]
    public async Task ADroppedDatabaseEndsTheSessionsStillConnectedToIt()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        await using var open = new NpgsqlConnection(connectionString);
        await open.OpenAsync();

        await TestPostgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);

        await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT 1", open);
            await command.ExecuteScalarAsync();
        });
    }

    [Theory]
    [InlineData("Robert'); DROP DATABASE postgres; --")]
    [InlineData("UpperCase")]
    [InlineData("")]
    public async Task ADatabaseNameThatIsNotAPlainIdentifierIsRefused(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TestPostgres.CreateDatabaseAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(() => TestPostgres.DropDatabaseAsync(name));
    }

    [Fact]
    public async Task APrivateClusterStoppedAndStartedAgainKeepsItsDataOnTheSamePort()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var postgres = cluster.ConnectionString("postgres");
        await ExecuteAsync(postgres, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
        var port = cluster.Port;

        await cluster.StopAsync();
        NpgsqlConnection.ClearAllPools();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(postgres, "SELECT 1"));
        await cluster.StartAgainAsync();

        Assert.Equal(port, cluster.Port);
        Assert.Equal(42, await ScalarAsync(postgres, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task APrivateClusterRestartEndsOpenSessionsAndKeepsCommittedRows()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var postgres = cluster.ConnectionString("postgres");
        await ExecuteAsync(postgres, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)");
        await using var open = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Pooling = false }.ConnectionString);
        await open.OpenAsync();

        await cluster.RestartAsync();

        await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT 1", open);
            await command.ExecuteScalarAsync();
        });
        NpgsqlConnection.ClearAllPools();
        Assert.Equal(1, await ScalarAsync(postgres, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task APrivateClusterIsStoppedAndRemovedWhenDisposed()
    {
        var cluster = await PostgresCluster.StartAsync();
        var postgres = new NpgsqlConnectionStringBuilder(cluster.ConnectionString("postgres")) { Pooling = false }.ConnectionString;
        Assert.Equal(1, await ScalarAsync(postgres, "SELECT 1"));

        await cluster.DisposeAsync();

        Assert.False(Directory.Exists(cluster.RootDirectory));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(postgres, "SELECT 1"));
    }

    [Fact]
    public async Task AClusterLeftByAKilledTestProcessIsStoppedAndRemovedByTheNextStart()
    {
        var stale = await PostgresCluster.StartAsync();
        var postgres = new NpgsqlConnectionStringBuilder(stale.ConnectionString("postgres")) { Pooling = false }.ConnectionString;
        using (var gone = System.Diagnostics.Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            await File.WriteAllTextAsync(Path.Combine(stale.RootDirectory, PostgresCluster.OwnerFileName), $"{gone.Id}\n");
        }

        await using var next = await PostgresCluster.StartAsync();

        Assert.False(Directory.Exists(stale.RootDirectory));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(postgres, "SELECT 1"));
        Assert.Equal(1, await ScalarAsync(next.ConnectionString("postgres"), "SELECT 1"));
    }

    [Fact]
    public async Task AClusterOfALiveTestProcessIsLeftRunningByAnotherStart()
    {
        await using var first = await PostgresCluster.StartAsync();

        await using var second = await PostgresCluster.StartAsync();

        Assert.True(Directory.Exists(first.RootDirectory));
        Assert.Equal(1, await ScalarAsync(new NpgsqlConnectionStringBuilder(first.ConnectionString("postgres")) { Pooling = false }.ConnectionString, "SELECT 1"));
    }

    [Fact]
    public async Task AClusterWhoseOwnerPidNowBelongsToAnotherProcessIsStale()
    {
        var stale = await PostgresCluster.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(stale.RootDirectory, PostgresCluster.OwnerFileName), $"{Environment.ProcessId}\n1\n");

        await using var next = await PostgresCluster.StartAsync();

        Assert.False(Directory.Exists(stale.RootDirectory));
    }

    [Fact]
    public void EachDataDirectoryHasItsOwnDatabaseNameAndTheSameOneEveryTime()
    {
        var first = Path.Combine(Path.GetTempPath(), "chatopsbot-test-a");
        var second = Path.Combine(Path.GetTempPath(), "chatopsbot-test-b");

        Assert.Equal(TestProvider.DatabaseName(first), TestProvider.DatabaseName(first + "/"));
        Assert.NotEqual(TestProvider.DatabaseName(first), TestProvider.DatabaseName(second));
        Assert.Matches("^[a-z0-9_]{1,63}$", TestProvider.DatabaseName(first));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
