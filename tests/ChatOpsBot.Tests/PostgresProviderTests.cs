using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Jobs;
using Hangfire;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChatOpsBot.Tests;

/// <summary>
/// Two hosts on one PostgreSQL database and one data directory, as replicas behind a proxy run; the database is
/// dropped and the directory deleted with them.
/// </summary>
internal sealed class PostgresReplicas : IAsyncDisposable
{
    private PostgresReplicas(string connectionString, string data, Dictionary<string, string?>? extra)
    {
        ConnectionString = connectionString;
        DataDirectory = data;
        A = new ChatOpsBotApplication(PostgresTestDatabase.Settings(connectionString, extra), dataDirectory: data);
        B = new ChatOpsBotApplication(PostgresTestDatabase.Settings(connectionString, extra), dataDirectory: data);
    }

    public string ConnectionString { get; }

    public string DataDirectory { get; }

    public ChatOpsBotApplication A { get; }

    public ChatOpsBotApplication B { get; }

    /// <summary>Starts both, one after the other; <paramref name="beforeStart"/> runs on the empty database first.</summary>
    public static async Task<PostgresReplicas> StartAsync(Dictionary<string, string?>? settings = null, string? beforeStart = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        // Unpooled, so no session from before it (database settings apply to new sessions) is handed out later.
        if (beforeStart is not null)
            await PostgresTestDatabase.ExecuteAsync(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString, beforeStart);
        var replicas = new PostgresReplicas(connectionString, Directory.CreateTempSubdirectory("chatopsbot-replicas-").FullName, settings);
        replicas.A.CreateLoopbackClient().Dispose();
        replicas.B.CreateLoopbackClient().Dispose();
        return replicas;
    }

    /// <summary>Uploads a fresh IPA to <paramref name="app"/> through <paramref name="host"/>; the build's id.</summary>
    public static async Task<long> UploadAsync(ChatOpsBotApplication host, string app, string channel = "beta")
    {
        using var api = host.CreateClient(ChatOpsBotApplication.UploaderKey);
        var ipa = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()))
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120))).Build();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + host.ServerErrors());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    /// <summary>Mints a link through <paramref name="host"/>; its token and id.</summary>
    public static async Task<(string Token, long Id)> MintAsync(ChatOpsBotApplication host, long buildId, int? maxDownloads = null)
    {
        using var api = host.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var response = await api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { maxDownloads, requestedFor = "Ada Lovelace" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath["/i/".Length..], link.GetProperty("id").GetInt64());
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await TestPostgres.DropDatabaseAsync(PostgresTestDatabase.Name(ConnectionString));
        Directory.Delete(DataDirectory, recursive: true);
    }
}

/// <summary>What PostgreSQL itself brings: its types, Hangfire's storage, advisory locks, its isolation levels.</summary>
[Trait("Provider", "Postgres")]
public sealed class PostgresProviderTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task TheModelMapsToPostgresTypesUtcInstantsHashesAsBytesAndEnumsAsText()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        await using var scope = replicas.A.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var columns = (await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
                "SELECT table_name || '.' || column_name || '|' || data_type FROM information_schema.columns WHERE table_schema = 'public'"))
            .Select(c => c.Split('|')).ToDictionary(c => c[0], c => c[1]);

        var instants = db.Model.GetEntityTypes().SelectMany(e => e.GetProperties()
                .Where(p => p.ClrType == typeof(DateTime) || p.ClrType == typeof(DateTime?))
                .Select(p => $"{e.GetTableName()}.{p.GetColumnName()}"))
            .ToList();
        Assert.Contains("InstallLinks.ExpiresAt", instants);
        Assert.All(instants, column => Assert.Equal("timestamp with time zone", columns[column]));
        Assert.DoesNotContain("timestamp without time zone", columns.Values);
        Assert.Equal("bytea", columns["InstallLinks.TokenHash"]);
        // Text of any length, as SQLite keeps it; the enum columns hold only their names.
        Assert.Equal("text", columns["Builds.Sha256"]);
        Assert.Equal("text", columns["Apps.DisplayName"]);
        Assert.Equal("character varying", columns["Builds.State"]);
        Assert.Equal("character varying", columns["AnnouncementDeliveries.State"]);
        // Text in code-point order, as SQLite compares it, whatever the database's locale.
        var collations = await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
            "SELECT DISTINCT coalesce(collation_name, '') FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__EFMigrationsHistory' AND data_type IN ('text', 'character varying') AND NOT (column_name IN ('State', 'Kind', 'ProfileType', 'Role'))");
        Assert.Equal(["C"], collations);
        var activeOnly = Assert.Single(await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'IX_Builds_AppId_Channel_Sha256'"));
        Assert.Contains("UNIQUE", activeOnly, StringComparison.Ordinal);
        Assert.Contains("WHERE ((\"State\")::text = 'Active'::text)", activeOnly, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneFileIsOneActiveBuildPerChannelUntilItIsRevokedAndInstantsComeBackAsUtc()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        await using var scope = replicas.A.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var uploadedAt = new DateTime(2026, 11, 23, 9, 30, 15, 123, DateTimeKind.Utc);
        var app = db.Apps.Add(new App { Slug = "index", DisplayName = "Index", BundleId = "com.example.index", CreatedAt = uploadedAt }).Entity;
        await db.SaveChangesAsync();
        Build NewBuild() => new()
        {
            AppId = app.Id, Channel = "beta", Version = "1", BuildNumber = "1", BundleId = app.BundleId!, DisplayName = "Index",
            Sha256 = new string('c', 64), UploadedAt = uploadedAt, UploadedBy = "ci", State = BuildState.Active,
        };
        var first = db.Builds.Add(NewBuild()).Entity;
        await db.SaveChangesAsync();

        db.Builds.Add(NewBuild());
        var duplicate = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.IsType<PostgresException>(duplicate.InnerException).SqlState);
        db.ChangeTracker.Clear();

        await db.Builds.Where(b => b.Id == first.Id).ExecuteUpdateAsync(b => b.SetProperty(x => x.State, BuildState.Revoked));
        db.Builds.Add(NewBuild());
        await db.SaveChangesAsync();

        var stored = await db.Builds.AsNoTracking().Where(b => b.AppId == app.Id).OrderBy(b => b.Id).ToListAsync();
        Assert.Equal([BuildState.Revoked, BuildState.Active], stored.Select(b => b.State));
        Assert.All(stored, b => Assert.Equal(DateTimeKind.Utc, b.UploadedAt.Kind));
        Assert.All(stored, b => Assert.Equal(uploadedAt, b.UploadedAt));
        Assert.Equal(["Revoked", "Active"], await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
            $"SELECT \"State\" FROM \"Builds\" WHERE \"AppId\" = {app.Id} ORDER BY \"Id\""));
    }

    [Fact]
    public async Task HangfireKeepsItsJobsInTheDatabaseAndATriggeredRecurringJobRunsOnceWithTwoJobServers()
    {
        await using var replicas = await PostgresReplicas.StartAsync(new() { ["ChatOpsBot:Jobs:Enabled"] = "true" });
        var storage = replicas.A.Services.GetRequiredService<JobStorage>();
        var monitoring = storage.GetMonitoringApi();

        // A deadline, not a timing assertion: both job servers announce themselves in the shared storage.
        var deadline = DateTime.UtcNow + Deadline;
        while (monitoring.Servers().Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "Both hosts' job servers did not register.");
            await Task.Delay(50);
        }
        // Every replica registers the recurring jobs; the storage holds each once.
        using (var connection = storage.GetConnection())
        {
            var recurring = connection.GetRecurringJobs();
            Assert.Single(recurring, j => j.Id == JobsRegistration.ExpireLinks);
            Assert.Single(recurring, j => j.Id == JobsRegistration.Retention);
        }
        Assert.Equal(["1"], await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
            $"SELECT COUNT(*) FROM hangfire.hash WHERE key = 'recurring-job:{JobsRegistration.ExpireLinks}' AND field = 'Cron'"));

        var jobId = replicas.B.Services.GetRequiredService<IRecurringJobManagerV2>().TriggerJob(JobsRegistration.ExpireLinks);

        JobDetailsDto? details = null;
        while (details?.History.Any(h => h.StateName == "Succeeded") != true)
        {
            Assert.True(DateTime.UtcNow < deadline, "The triggered job did not succeed: " + string.Join(", ", details?.History.Select(h => h.StateName) ?? []));
            Assert.DoesNotContain(details?.History ?? [], h => h.StateName == "Failed");
            await Task.Delay(50);
            details = monitoring.JobDetails(jobId);
        }
        Assert.Single(details.History, h => h.StateName == "Processing");
        // The minutely schedule may itself enqueue ExpireLinks while the test runs (a minute boundary passes on the
        // real clock), so the check is not "one job" but "no job, triggered or scheduled, was processed twice".
        Assert.Empty(await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
            "SELECT j.id FROM hangfire.job j JOIN hangfire.state s ON s.jobid = j.id " +
            "WHERE j.invocationdata::text LIKE '%ExpireLinksJob%' AND s.name = 'Processing' GROUP BY j.id HAVING COUNT(*) > 1"));
    }

    [Fact]
    public async Task AnArtifactLockHeldOnOneReplicaMakesTheOtherWaitUntilItIsReleased()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var sha256 = new string('e', 64);
        var onA = replicas.A.Services.GetRequiredService<ArtifactLocks>();
        var onB = replicas.B.Services.GetRequiredService<ArtifactLocks>();

        var heldByA = await onA.AcquireAsync(sha256, CancellationToken.None);
        var waitingOnB = onB.AcquireAsync(sha256, CancellationToken.None);
        await WaitForAdvisoryWaiterAsync(replicas.ConnectionString, sha256);

        Assert.False(waitingOnB.IsCompleted);
        await heldByA.DisposeAsync();
        await using (await waitingOnB.WaitAsync(Deadline))
            Assert.Equal(["1"], await LockHoldersAsync(replicas.ConnectionString, sha256, granted: true));
        Assert.Equal(["0"], await LockHoldersAsync(replicas.ConnectionString, sha256, granted: true));
    }

    [Fact]
    public async Task AnArtifactLockOfAReplicaThatDiedIsGoneWithItsSession()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var sha256 = new string('d', 64);
        var heldByA = await replicas.A.Services.GetRequiredService<ArtifactLocks>().AcquireAsync(sha256, CancellationToken.None);
        var waitingOnB = replicas.B.Services.GetRequiredService<ArtifactLocks>().AcquireAsync(sha256, CancellationToken.None);
        await WaitForAdvisoryWaiterAsync(replicas.ConnectionString, sha256);

        var (high, low) = Key(sha256);
        await PostgresTestDatabase.ExecuteAsync(replicas.ConnectionString,
            $"SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = {high} AND objid::bigint = {low} AND objsubid = 1");

        await using (await waitingOnB.WaitAsync(Deadline))
            Assert.Equal(["1"], await LockHoldersAsync(replicas.ConnectionString, sha256, granted: true));
        // Releasing what the dead session held is logged, not thrown.
        await heldByA.DisposeAsync();
        Assert.Contains(replicas.A.Logs, l => l.Contains("[5711]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CappedDownloadsAreServedOnceEvenWhenTheDatabaseDefaultsToRepeatableRead()
    {
        // Set before the hosts start, so every session they open has it (and they migrated under it too).
        await using var replicas = await PostgresReplicas.StartAsync(beforeStart:
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation = %L', current_database(), 'repeatable read'); END $$");
        var database = PostgresTestDatabase.Name(replicas.ConnectionString);
        var build = await PostgresReplicas.UploadAsync(replicas.A, "capped");
        var (token, linkId) = await PostgresReplicas.MintAsync(replicas.A, build, maxDownloads: 1);
        Assert.Equal(["repeatable read"], await PostgresTestDatabase.QueryAsync(replicas.ConnectionString, "SHOW default_transaction_isolation"));

        // The link's row is locked while three phones ask at once, on both replicas, so all three wait for it and
        // then go one after another: under repeatable read the second would fail to serialise, not see the first.
        await using var holder = new NpgsqlConnection(replicas.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM \"InstallLinks\" WHERE \"Id\" = {linkId} FOR UPDATE", holder, hold))
            await lockRow.ExecuteNonQueryAsync();
        var phones = new[] { replicas.A, replicas.B, replicas.A }.Select((host, i) =>
        {
            var phone = host.CreateLoopbackClient();
            phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", $"phone-{i}/1.0");
            return phone;
        }).ToList();
        var downloads = phones.Select(async phone =>
        {
            using var response = await phone.GetAsync($"/i/{token}/app.ipa");
            return response.StatusCode;
        }).ToList();
        var deadline = DateTime.UtcNow + Deadline;
        while ((await PostgresTestDatabase.QueryAsync(replicas.ConnectionString,
                   $"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{database}' AND wait_event_type = 'Lock'"))[0] != "3")
        {
            Assert.True(DateTime.UtcNow < deadline, "The three downloads did not all wait for the link's row.");
            await Task.Delay(20);
        }
        await hold.CommitAsync();

        var statuses = await Task.WhenAll(downloads);
        Assert.Single(statuses, s => s == HttpStatusCode.OK);
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.Gone));
        Assert.Equal(["1"], await PostgresTestDatabase.QueryAsync(replicas.ConnectionString, $"SELECT COUNT(*) FROM \"LinkDownloads\" WHERE \"LinkId\" = {linkId}"));
        phones.ForEach(p => p.Dispose());
    }

    [Fact]
    public async Task ALinkOrBuildRevokedOnOneReplicaStopsTheOthersVeryNextManifestRequest()
    {
        await using var replicas = await PostgresReplicas.StartAsync();
        var build = await PostgresReplicas.UploadAsync(replicas.A, "revoked");
        var (linkToken, linkId) = await PostgresReplicas.MintAsync(replicas.A, build);
        var (buildToken, _) = await PostgresReplicas.MintAsync(replicas.B, build);
        using var phoneOnB = replicas.B.CreateLoopbackClient();
        using var phoneOnA = replicas.A.CreateLoopbackClient();
        using var releaseOnA = replicas.A.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var releaseOnB = replicas.B.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        // Several times, so the lookup's pooled connections and prepared statements are warm.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await phoneOnB.GetAsync($"/i/{linkToken}/manifest.plist")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await phoneOnA.GetAsync($"/i/{buildToken}/manifest.plist")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await releaseOnA.DeleteAsync($"/api/v1/links/{linkId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await phoneOnB.GetAsync($"/i/{linkToken}/manifest.plist")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await phoneOnA.GetAsync($"/i/{buildToken}/manifest.plist")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await releaseOnB.DeleteAsync($"/api/v1/builds/{build}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await phoneOnA.GetAsync($"/i/{buildToken}/manifest.plist")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await phoneOnA.GetAsync($"/i/{buildToken}/app.ipa")).StatusCode);
    }

    private static (long High, long Low) Key(string sha256)
    {
        var key = ArtifactLocks.AdvisoryKey(sha256);
        return ((uint)(key >> 32), (uint)key);
    }

    private static Task<List<string>> LockHoldersAsync(string connectionString, string sha256, bool granted)
    {
        var (high, low) = Key(sha256);
        return PostgresTestDatabase.QueryAsync(connectionString,
            $"SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = {granted} AND classid::bigint = {high} AND objid::bigint = {low} AND objsubid = 1");
    }

    /// <summary>Until a session waits for the artifact's advisory lock: a deadline, not a timing assertion.</summary>
    private static async Task WaitForAdvisoryWaiterAsync(string connectionString, string sha256)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while ((await LockHoldersAsync(connectionString, sha256, granted: false))[0] != "1")
        {
            Assert.True(DateTime.UtcNow < deadline, "Nobody waits for the artifact's advisory lock.");
            await Task.Delay(20);
        }
    }
}
