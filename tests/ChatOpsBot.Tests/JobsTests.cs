using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Jobs;
using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// The jobs, run directly on the fake clock. A test of a job moves the clock and looks at every link and build, so it
/// has a host of its own, booted when the test first uses it; the dashboard's access checks share one host.
/// </summary>
public sealed class JobsTests(JobsTests.DashboardHost dashboard) : IClassFixture<JobsTests.DashboardHost>, IDisposable
{
    // No job server: the jobs run when a test runs them, on the fake clock, so nothing else moves under a test.
    private static Dictionary<string, string?> Settings() => ChatOpsBotApplication.WithApiKeys(new()
    {
        ["ChatOpsBot:Retention:KeepBuildsPerChannel"] = "2",
        ["ChatOpsBot:Retention:MinAge"] = "1.00:00:00",
    });

    /// <summary>The host the dashboard tests share: they only read, and each with a client of its own.</summary>
    public sealed class DashboardHost : IDisposable
    {
        internal ChatOpsBotApplication App { get; } = new(Settings());

        public void Dispose() => App.Dispose();
    }

    private readonly ChatOpsBotApplication _app = new(Settings());
    private HttpClient? _api;
    private HttpClient? _phone;

    private HttpClient Api => _api ??= _app.CreateClient(ChatOpsBotApplication.UploaderKey);

    private HttpClient Phone => _phone ??= _app.CreateLoopbackClient();

    public void Dispose()
    {
        _api?.Dispose();
        _phone?.Dispose();
        _app.Dispose();
    }

    private async Task<JsonElement> UploadAsync(string version, string channel = "beta", byte[]? ipa = null)
    {
        ipa ??= Ipa(version);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        using var response = await Api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static byte[] Ipa(string version)
    {
        var builder = new TestIpaBuilder();
        builder.Info["CFBundleShortVersionString"] = version;
        return builder.Build();
    }

    private async Task<string> MintTokenAsync(string channel = "beta")
    {
        using var response = await Api.PostAsJsonAsync("/api/v1/apps/demo/links", new { channel });
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath["/i/".Length..];
    }

    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    private async Task<List<InstallLink>> LinksAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.AsNoTracking().OrderBy(l => l.Id).ToListAsync();
    }

    private async Task<List<Build>> BuildsAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.AsNoTracking().OrderBy(b => b.Id).ToListAsync();
    }

    [Fact]
    public async Task ExpiredLinksStopAtOnceAndTheExpiryJobForgetsTheirTokensOnlyPastTheGrace()
    {
        await UploadAsync("1.0");
        var first = await MintTokenAsync();
        _app.Clock.Advance(TimeSpan.FromMinutes(30));
        var second = await MintTokenAsync();

        _app.Clock.Advance(TimeSpan.FromMinutes(30));
        using var expiredPage = await Phone.GetAsync($"/i/{first}");
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        var afterExpiry = await LinksAsync();
        _app.Clock.Advance(TimeSpan.FromHours(2));
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        var afterGrace = await LinksAsync();
        using var firstPage = await Phone.GetAsync($"/i/{first}");
        using var secondPage = await Phone.GetAsync($"/i/{second}");
        using var audit = await Api.GetAsync($"/api/v1/links/{afterGrace[0].Id}");

        // Expired before any job ran: the link's own expiry is the whole rule.
        Assert.Equal(HttpStatusCode.Gone, expiredPage.StatusCode);
        Assert.All(afterExpiry, l => Assert.NotNull(l.TokenHash));
        Assert.Null(afterGrace[0].TokenHash);
        Assert.NotNull(afterGrace[1].TokenHash);
        Assert.Equal(HttpStatusCode.NotFound, firstPage.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, secondPage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
    }

    [Fact]
    public async Task ExpiryJobForgetsDeadLinksInBatchesWhetherTheyExpiredOrWereRevoked()
    {
        var build = await UploadAsync("1.0");
        int batchSize;
        var now = _app.Clock.GetUtcNow().UtcDateTime;
        var grace = TimeSpan.FromHours(2);
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
            batchSize = ExpireLinksJob.BatchSizeOn(db);
            // Every third link is dead by expiry, every third by a revocation, every third is neither (alive, within
            // the grace after expiry, or revoked too recently).
            db.InstallLinks.AddRange(Enumerable.Range(0, batchSize * 6 + 11).Select(i => new InstallLink
            {
                BuildId = build.GetProperty("id").GetInt64(),
                TokenHash = SHA256.HashData(BitConverter.GetBytes(i)),
                Platform = "api",
                UserId = "ci",
                UserName = "ci",
                CreatedAt = now.AddHours(-4),
                ExpiresAt = (i % 3) switch { 0 => now - grace - TimeSpan.FromMinutes(1 + i % 7), 1 => now.AddMinutes(10), _ => now.AddMinutes(-(i % 100)) },
                RevokedAt = (i % 3, i % 2) switch { (1, 0) => now - grace - TimeSpan.FromSeconds(1), (2, 0) => now.AddMinutes(-1), _ => null },
            }));
            await db.SaveChangesAsync();
        }

        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));

        var links = (await LinksAsync()).Where(l => l.UserId == "ci").ToList();
        bool Dead(InstallLink l) => l.ExpiresAt <= now - grace || l.RevokedAt <= now - grace;
        Assert.True(links.Count(Dead) > 2 * batchSize, "the test needs more dead links than two batches");
        Assert.All(links, l => Assert.Equal(Dead(l), l.TokenHash is null));
    }

    [Fact]
    public async Task TheExpiryJobFindsDeadLinksThroughAnIndexThatHoldsOnlyLinksWithAHash()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var deadBefore = _app.Clock.GetUtcNow().UtcDateTime;
        var byExpiry = db.InstallLinks.Where(l => l.TokenHash != null && l.ExpiresAt <= deadBefore).OrderBy(l => l.ExpiresAt).Select(l => l.Id).Take(10);
        var byRevocation = db.InstallLinks.Where(l => l.TokenHash != null && l.RevokedAt != null && l.RevokedAt <= deadBefore).OrderBy(l => l.RevokedAt).Select(l => l.Id).Take(10);

        Assert.Contains("IX_InstallLinks_ExpiresAt", await PlanAsync(db, byExpiry));
        Assert.Contains("IX_InstallLinks_RevokedAt", await PlanAsync(db, byRevocation));
    }

    /// <summary>The query plan, with the table scan ruled out on PostgreSQL (an empty table is cheaper to scan).</summary>
    private static async Task<string> PlanAsync(ChatOpsBotDb db, IQueryable<long> query)
    {
        await db.Database.OpenConnectionAsync();
        try
        {
            var sqlite = db.Database.IsSqlite();
            if (!sqlite)
                await db.Database.ExecuteSqlRawAsync("SET enable_seqscan = off");
            await using var command = query.CreateDbCommand();
            command.CommandText = (sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + command.CommandText;
            var plan = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                plan.Add(reader.GetValue(reader.FieldCount - 1).ToString()!);
            return string.Join('\n', plan);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [Fact]
    public async Task RetentionKeepsTheNewestAndTheYoungAndNeverDeletesAFileAnotherBuildUses()
    {
        var shared = Ipa("1.0");
        var oldest = await UploadAsync("1.0", ipa: shared);
        await UploadAsync("1.0", channel: "qa", ipa: shared);
        var second = await UploadAsync("1.1");
        var token = await MintTokenAsync();
        _app.Clock.Advance(TimeSpan.FromDays(2));
        await UploadAsync("1.2");
        await UploadAsync("1.3");
        var orphan = Path.Combine(_app.DataDirectory, "artifacts", "ab", "ab" + new string('0', 62));
        var youngOrphan = Path.Combine(_app.DataDirectory, "artifacts", "cd", "cd" + new string('0', 62));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        Directory.CreateDirectory(Path.GetDirectoryName(youngOrphan)!);
        await File.WriteAllTextAsync(orphan, "left by a crash");
        await File.WriteAllTextAsync(youngOrphan, "an upload being registered");
        File.SetLastWriteTimeUtc(orphan, _app.Clock.GetUtcNow().UtcDateTime.AddHours(-2));
        File.SetLastWriteTimeUtc(youngOrphan, _app.Clock.GetUtcNow().UtcDateTime);

        await RunAsync<RetentionJob>(job => job.RunAsync(CancellationToken.None));

        var builds = await BuildsAsync();
        Assert.Equal(
            [("1.0", "beta", BuildState.Revoked), ("1.0", "qa", BuildState.Active), ("1.1", "beta", BuildState.Revoked), ("1.2", "beta", BuildState.Active), ("1.3", "beta", BuildState.Active)],
            builds.Select(b => (b.Version, b.Channel, b.State)));
        var sha = oldest.GetProperty("sha256").GetString()!;
        Assert.True(File.Exists(Path.Combine(_app.DataDirectory, "artifacts", sha[..2], sha)), "the file the qa build still uses was deleted");
        var secondSha = second.GetProperty("sha256").GetString()!;
        Assert.False(File.Exists(Path.Combine(_app.DataDirectory, "artifacts", secondSha[..2], secondSha)));
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(youngOrphan));
        using var page = await Phone.GetAsync($"/i/{token}");
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
    }

    [Fact]
    public async Task RetentionSparesBuildsYoungerThanTheMinimumAge()
    {
        for (var i = 0; i < 5; i++)
            await UploadAsync($"1.{i}");

        await RunAsync<RetentionJob>(job => job.RunAsync(CancellationToken.None));

        Assert.All(await BuildsAsync(), b => Assert.Equal(BuildState.Active, b.State));
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(ChatOpsBotApplication.UploaderKey, HttpStatusCode.Forbidden)]
    [InlineData(ChatOpsBotApplication.ReleaseManagerKey, HttpStatusCode.Forbidden)]
    [InlineData(ChatOpsBotApplication.AdminKey, HttpStatusCode.OK)]
    public async Task DashboardIsForAdminKeysOnly(string? key, HttpStatusCode expected)
    {
        using var client = dashboard.App.CreateLoopbackClient();
        if (key is not null)
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);

        using var response = await client.GetAsync("/hangfire");

        Assert.Equal(expected, response.StatusCode);
    }
}

/// <summary>
/// The job server itself, which runs on the real clock: these tests only ask it to do what they then wait for, and hold
/// whether or not its once-a-minute schedule fires meanwhile.
/// </summary>
public sealed class JobServerTests : IDisposable
{
    private readonly ChatOpsBotApplication _app = new(ChatOpsBotApplication.WithApiKeys(new() { ["ChatOpsBot:Jobs:Enabled"] = "true" }));

    public void Dispose() => _app.Dispose();

    [Fact]
    public void RecurringJobsAreRegisteredWithHangfire()
    {
        var storage = _app.Services.GetRequiredService<JobStorage>();
        using var connection = storage.GetConnection();

        var ids = connection.GetRecurringJobs().Select(j => (j.Id, j.Cron)).OrderBy(j => j.Id).ToList();

        Assert.Equal([(JobsRegistration.ExpireLinks, "* * * * *"), (JobsRegistration.PruneEventClaims, "0 * * * *"), (JobsRegistration.Retention, "0 * * * *")], ids);
    }

    [Fact]
    public async Task HangfireRunsTheExpiryJobWhenTriggered()
    {
        using var api = _app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(new TestIpaBuilder().Build()), "file", "Demo.ipa" },
        };
        (await api.PostAsync("/api/v1/builds", form)).EnsureSuccessStatusCode().Dispose();
        (await api.PostAsJsonAsync("/api/v1/apps/demo/links", new { channel = "beta" })).EnsureSuccessStatusCode().Dispose();
        _app.Clock.Advance(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(1));

        _app.Services.GetRequiredService<IRecurringJobManager>().Trigger(JobsRegistration.ExpireLinks);

        // The job runs on Hangfire's worker; wait (bounded) for its effect. Should the minutely schedule fire first,
        // it runs the same job with the same effect.
        var forgotten = false;
        for (var i = 0; i < 300 && !forgotten; i++)
        {
            await Task.Delay(100);
            await using var scope = _app.Services.CreateAsyncScope();
            forgotten = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.AnyAsync(l => l.TokenHash == null);
        }
        Assert.True(forgotten, "the triggered expiry job did not run" + _app.ServerErrors());
    }
}
