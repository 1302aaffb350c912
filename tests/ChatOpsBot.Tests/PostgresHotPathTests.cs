using System.Collections.Concurrent;
using System.Net;
using ChatOpsBot.Core.Links;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Links;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>
/// What keeps PostgreSQL's manifest path cheap: lookups that arrive together share one statement, and the pool's
/// connections go back unreset, which is only safe because session-level locks never ride on them.
/// </summary>
[Trait("Provider", "Postgres")]
public sealed class PostgresHotPathTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task LookupsThatArriveWhileTheServerIsBusyAreAnsweredTogetherEachWithItsOwnRow()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var build = await PostgresReplicas.UploadAsync(replicas.A, "batched");
        var links = new List<(byte[] Hash, long Id)>();
        for (var i = 0; i < 5; i++)
        {
            var (token, id) = await PostgresReplicas.MintAsync(replicas.A, build);
            links.Add((InstallToken.HashOf(token)!, id));
        }
        await PostgresTestDatabase.ExecuteAsync(replicas.ConnectionString,
            $"UPDATE \"InstallLinks\" SET \"RevokedAt\" = now() WHERE \"Id\" = {links[2].Id}");
        var lookup = replicas.A.Services.GetRequiredService<IManifestLookup>();
        await using var scope = replicas.A.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();

        // The builds table is locked, so the first statements wait on the server while the rest queue in the host.
        await using var holder = new NpgsqlConnection(replicas.ConnectionString);
        await holder.OpenAsync();
        var hold = await holder.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE \"Builds\" IN ACCESS EXCLUSIVE MODE", holder, hold))
            await lockTable.ExecuteNonQueryAsync();
        var asked = Enumerable.Range(0, 150)
            .Select(i => i % 10 == 9 ? (Hash: System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), Id: (long?)null) : (links[i % 5].Hash, links[i % 5].Id))
            .ToList();
        var answers = asked.Select(a => lookup.FindAsync(db, a.Hash, CancellationToken.None)).ToList();

        var database = PostgresTestDatabase.Name(replicas.ConnectionString);
        var waiting = $"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{database}' AND wait_event_type = 'Lock' AND query LIKE '%= ANY($1)%'";
        var deadline = DateTime.UtcNow + Deadline;
        while ((await PostgresTestDatabase.QueryAsync(replicas.ConnectionString, waiting))[0] != BatchedLookups.MaxInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            Assert.True(DateTime.UtcNow < deadline, "The lookups' statements did not reach the server.");
            await Task.Delay(20);
        }
        // Every lookup has been asked for and only two statements run: the other 148 lookups wait in the host, and no
        // statement can start before one of those two ends.
        Assert.All(answers, a => Assert.False(a.IsCompleted));
        await hold.RollbackAsync();

        var rows = await Task.WhenAll(answers).WaitAsync(Deadline);
        for (var i = 0; i < asked.Count; i++)
        {
            Assert.Equal(asked[i].Id, rows[i]?.LinkId);
            Assert.Equal(asked[i].Id == links[2].Id, rows[i]?.RevokedAt is not null);
        }
        Assert.All(rows.OfType<ManifestRow>(), r => Assert.Equal("beta", r.Channel));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(BatchedLookups.MaxInFlight)]
    public async Task LookupsQueuedBehindTheQueriesInFlightGoTogetherAndNoneIsSentBeforeItsLookupArrived(int inFlight)
    {
        var queries = new ConcurrentQueue<(int Order, List<byte[]> Hashes)>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = 0;
        var batches = new BatchedLookups(async hashes =>
        {
            queries.Enqueue((Volatile.Read(ref asked), [.. hashes]));
            await release.Task;
            return hashes.Where(h => h[0] % 3 != 0).Distinct(BatchedLookups.HashComparer)
                .ToDictionary(h => h, h => Row(h[0]), BatchedLookups.HashComparer);
        }, inFlight);

        var answers = new List<Task<ManifestRow?>>();
        for (var i = 0; i < 150; i++)
        {
            answers.Add(batches.FindAsync([(byte)(i % 50), 1, 2], CancellationToken.None));
            Interlocked.Increment(ref asked);
        }

        // Only the first lookups started queries, one each; the others wait behind them.
        Assert.Equal(Enumerable.Range(0, inFlight), queries.Select(q => q.Order));
        Assert.All(queries, q => Assert.Single(q.Hashes));
        Assert.All(answers, a => Assert.False(a.IsCompleted));
        release.SetResult();
        var rows = await Task.WhenAll(answers).WaitAsync(Deadline);

        for (var i = 0; i < rows.Length; i++)
            Assert.Equal(i % 50 % 3 == 0 ? null : 1000 + i % 50, rows[i]?.LinkId);
        var sent = queries.ToList();
        Assert.Equal(150, sent.Sum(q => q.Hashes.Count));
        Assert.All(sent, q => Assert.InRange(q.Hashes.Count, 1, BatchedLookups.MaxBatch));
        Assert.All(sent.Skip(inFlight), q => Assert.Equal(150, q.Order));
        // One runner: the 149 queued lookups go 64, 64 and 21. With two, how they share the queue is up to the threads.
        if (inFlight == 1)
            Assert.Equal([1, 64, 64, 21], sent.Select(q => q.Hashes.Count));
    }

    [Fact]
    public async Task AFailedQueryFailsEachLookupItAnsweredAndTheNextQueryServesTheRest()
    {
        var calls = 0;
        var batches = new BatchedLookups(hashes => Interlocked.Increment(ref calls) == 1
            ? Task.FromException<Dictionary<byte[], ManifestRow>>(new InvalidOperationException("the server went away"))
            : Task.FromResult(hashes.ToDictionary(h => h, h => Row(h[0]), BatchedLookups.HashComparer)));

        var failed = batches.FindAsync([7], CancellationToken.None);
        var next = batches.FindAsync([8], CancellationToken.None);

        Assert.Equal("the server went away", (await Assert.ThrowsAsync<InvalidOperationException>(() => failed)).Message);
        Assert.Equal(1008, (await next)?.LinkId);
    }

    private static ManifestRow Row(byte id) =>
        new(1000 + id, DateTime.UnixEpoch, null, null, BuildState.Active, null, false, "com.example.demo", "1.0", "1", "Demo", "beta", 0);

    [Theory]
    [InlineData("Host=db.example.com;Database=chatopsbot", true, 64, 2)]
    [InlineData("Host=db.example.com;Max Auto Prepare=0", true, 0, 5)]
    [InlineData("Host=db.example.com;max auto prepare=20;Auto Prepare Min Usages=9", true, 20, 9)]
    [InlineData("Host=db.example.com;No Reset On Close=false", true, 64, 2)]
    public async Task ThePoolKeepsStatementsPreparedAndDoesNotResetSessionsUnlessTheOperatorSaysOtherwise(
        string connectionString, bool noReset, int maxAutoPrepare, int minUsages)
    {
        await using var pooled = PostgresDataSource.Create(connectionString);
        var settings = new NpgsqlConnectionStringBuilder(pooled.ConnectionString);
        Assert.Equal((noReset, maxAutoPrepare, minUsages, true), (settings.NoResetOnClose, settings.MaxAutoPrepare, settings.AutoPrepareMinUsages, settings.Pooling));
        Assert.Equal("ChatOpsBot", settings.ApplicationName);

        // The locks' connections are not pooled, so their sessions end with them.
        await using var unpooled = PostgresDataSource.CreateUnpooled(connectionString);
        Assert.False(new NpgsqlConnectionStringBuilder(unpooled.ConnectionString).Pooling);
    }

    [Fact]
    public async Task ManifestLookupsPlanTheirStatementOnceOnConnectionsOfTheirOwnWhileOtherStatementsKeepCustomPlans()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var build = await PostgresReplicas.UploadAsync(replicas.A, "planned");
        var (token, _) = await PostgresReplicas.MintAsync(replicas.A, build);
        using var phone = replicas.A.CreateLoopbackClient();
        using (var manifest = await phone.GetAsync($"/i/{token}/manifest.plist"))
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        var hash = InstallToken.HashOf(token)!;

        // The lookup's statement, prepared and run as the lookup runs it, on each pool: what PostgreSQL planned.
        async Task<(string Mode, string Application, long Generic, long Custom)> PlansAsync(NpgsqlDataSource pool)
        {
            await using var connection = await pool.OpenConnectionAsync();
            await using var lookup = new NpgsqlCommand(ManifestSql.ForAny("$1"), connection);
            lookup.Parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea, TypedValue = [hash] });
            await lookup.PrepareAsync();
            for (var i = 0; i < 8; i++)
                await using (var rows = await lookup.ExecuteReaderAsync())
                    Assert.True(await rows.ReadAsync());
            await using var plans = new NpgsqlCommand(
                "SELECT current_setting('plan_cache_mode'), current_setting('application_name'), generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%= ANY($1)%'", connection);
            await using var row = await plans.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            return (row.GetString(0), row.GetString(1), row.GetInt64(2), row.GetInt64(3));
        }

        var lookups = await PlansAsync(replicas.A.Services.GetRequiredService<ManifestLookupConnections>().DataSource);
        var others = await PlansAsync(replicas.A.Services.GetRequiredService<NpgsqlDataSource>());

        // Planned once and reused (a custom plan per execution cost the server three times the execution).
        Assert.Equal(("force_generic_plan", "ChatOpsBot manifests", 0L), (lookups.Mode, lookups.Application, lookups.Custom));
        // At least the eight runs here; the connection may have served the manifest request before.
        Assert.True(lookups.Generic >= 8, $"generic plans {lookups.Generic}");
        // The host's main pool is left to PostgreSQL's own choice, which for this statement is a custom plan each time.
        Assert.Equal(("auto", "ChatOpsBot"), (others.Mode, others.Application));
        Assert.True(others.Custom > 0, $"custom plans {others.Custom}, generic {others.Generic}");
    }

    [Fact]
    public async Task AMigrationThatChangesAReturnedColumnUnderARunningReplicaCostsNoRequest()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var build = await PostgresReplicas.UploadAsync(replicas.A, "altered");
        var (token, _) = await PostgresReplicas.MintAsync(replicas.A, build);
        using var phone = replicas.A.CreateLoopbackClient();
        // Several at once, several times, so that several pooled connections have the statements prepared.
        async Task<List<HttpStatusCode>> BurstAsync() => [.. await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            using var response = await phone.GetAsync(i % 2 == 0 ? $"/i/{token}/manifest.plist" : $"/i/{token}");
            return response.StatusCode;
        }))];
        for (var i = 0; i < 4; i++)
            Assert.All(await BurstAsync(), s => Assert.Equal(HttpStatusCode.OK, s));

        // As a newer version's migration might while this replica still runs: the column both lookups return changes
        // type, and a statement prepared before fails once with "cached plan must not change result type".
        await PostgresTestDatabase.ExecuteAsync(replicas.ConnectionString,
            "ALTER TABLE \"Builds\" ALTER COLUMN \"DisplayName\" TYPE varchar(300) COLLATE \"C\"");

        for (var i = 0; i < 4; i++)
        {
            var statuses = await BurstAsync();
            Assert.True(statuses.All(s => s == HttpStatusCode.OK), string.Join(", ", statuses) + replicas.A.ServerErrors());
        }
    }

    [Fact]
    public async Task AnArtifactLockIsHeldOnASessionOfItsOwnThatEndsWhenTheLockIsReleased()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var database = PostgresTestDatabase.Name(replicas.ConnectionString);
        var sha256 = new string('c', 64);
        var key = ArtifactLocks.AdvisoryKey(sha256);
        var holders = $"""
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = {(uint)(key >> 32)} AND l.objid::bigint = {(uint)key} AND l.objsubid = 1
            """;
        var lockSessions = $"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{database}' AND application_name = 'ChatOpsBot locks'";

        var held = await replicas.A.Services.GetRequiredService<ArtifactLocks>().AcquireAsync(sha256, CancellationToken.None);
        Assert.Equal(["ChatOpsBot locks"], await PostgresTestDatabase.QueryAsync(replicas.ConnectionString, holders));
        await held.DisposeAsync();

        Assert.Empty(await PostgresTestDatabase.QueryAsync(replicas.ConnectionString, holders));
        // Not back in a pool: the session itself ends (the server notices the closed connection a moment later).
        var deadline = DateTime.UtcNow + Deadline;
        while ((await PostgresTestDatabase.QueryAsync(replicas.ConnectionString, lockSessions))[0] != "0")
        {
            Assert.True(DateTime.UtcNow < deadline, "The artifact lock's session outlived the lock.");
            await Task.Delay(20);
        }
    }
}
