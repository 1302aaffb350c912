using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Features.Doctor;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Doctor;

public sealed class StorageCheckTests
{
    [Fact]
    public async Task ArtifactStoreThatCannotBeReachedIsAProblemThatNamesWhatToCheckAndNoSecret()
    {
        const string secret = "s3-secret-access-key-never-printed";
        using var app = new ChatOpsBotApplication(new()
        {
            ["ChatOpsBot:Artifacts:Provider"] = "S3",
            ["ChatOpsBot:Artifacts:S3:ServiceUrl"] = $"http://127.0.0.1:{Loopback.FreePort()}",
            ["ChatOpsBot:Artifacts:S3:Bucket"] = "builds",
            ["ChatOpsBot:Artifacts:S3:ForcePathStyle"] = "true",
            ["ChatOpsBot:Artifacts:S3:AccessKeyId"] = "doctor",
            ["ChatOpsBot:Artifacts:S3:SecretAccessKey"] = secret,
        });
        using var client = app.CreateLoopbackClient();

        var findings = await RunAsync(app);

        var store = Assert.Single(findings, f => f.Check == StorageChecks.ArtifactCheck);
        Assert.Equal(DoctorVerdict.Problem, store.Verdict);
        Assert.Contains("check ChatOpsBot:Artifacts:S3", store.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(findings, f => f.Check == StorageChecks.DiskCheck);
        Assert.All(findings, f => Assert.DoesNotContain(secret, f.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FileSystemStoreIsWrittenReadAndLeftAsItWas()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();
        var before = app.DataFiles();

        var findings = await RunAsync(app);

        Assert.Equal(DoctorVerdict.Ok, Assert.Single(findings, f => f.Check == StorageChecks.ArtifactCheck).Verdict);
        Assert.Equal(DoctorVerdict.Ok, Assert.Single(findings, f => f.Check == StorageChecks.DatabaseCheck).Verdict);
        Assert.Equal(before, app.DataFiles());
    }

    [Fact]
    public async Task JobStorageInMemoryIsOkAndOnPostgresWithoutAServerHeartbeatIsAProblem()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        var jobs = Assert.Single(await RunAsync(app), f => f.Check == StorageChecks.JobsCheck);

        if (TestProvider.IsPostgres)
        {
            // This host runs no job server, and nothing else on its database does.
            Assert.Equal(DoctorVerdict.Problem, jobs.Verdict);
            Assert.StartsWith("no job server has sent a heartbeat", jobs.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(DoctorVerdict.Ok, jobs.Verdict);
            Assert.Contains("the Health page of the running host checks it", jobs.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(10_000, 0, "Ok")]
    [InlineData(999, 1_000, "Problem")]
    [InlineData(1_000, 1_000, "Warning")]
    [InlineData(2_999, 1_000, "Warning")]
    [InlineData(3_000, 1_000, "Ok")]
    public void FreeSpaceIsAProblemUnderTheLargestBuildAndAWarningUnderThreeTimesIt(long free, long largest, string verdict) =>
        Assert.Equal(Enum.Parse<DoctorVerdict>(verdict), StorageChecks.Disk(free, largest, "/data/artifacts").Verdict);

    private static async Task<IReadOnlyList<DoctorFinding>> RunAsync(ChatOpsBotApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var storage = scope.ServiceProvider.GetRequiredService<StorageChecks>();
        return await storage.RunAsync(await storage.DatabaseAsync(CancellationToken.None), CancellationToken.None);
    }
}

public sealed class DoctorFormatTests
{
    [Fact]
    public void FindingIsPrintedAsOneLineWithTheVerdictAndTheCheckInColumns()
    {
        var line = ChatOpsBot.Features.Doctor.DoctorCommand.Format(DoctorFinding.Problem("job storage", "cannot be read (42P01: no relation\n\nPOSITION: 15): fix it."));

        Assert.Equal("problem  job storage                cannot be read (42P01: no relation POSITION: 15): fix it.", line);
    }
}

/// <summary>"Job server alive", which the Health page checks inside the running host.</summary>
public sealed class JobServerCheckTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc);

    private static Hangfire.Storage.Monitoring.ServerDto Server(DateTime? heartbeat) =>
        new() { Name = "chatopsbot-a:1:0", Heartbeat = heartbeat, StartedAt = Now.AddHours(-1), WorkersCount = 2, Queues = ["default"] };

    [Fact]
    public void ServerWhoseHeartbeatIsWithinTheWindowIsAliveAndOneSecondOlderIsAProblemWithAFix()
    {
        var alive = JobServerCheck.Judge([Server(Now - StorageChecks.HeartbeatWindow)], Now);
        var stale = JobServerCheck.Judge([Server(Now - StorageChecks.HeartbeatWindow - TimeSpan.FromSeconds(1))], Now);

        Assert.Equal(DoctorVerdict.Ok, alive.Verdict);
        Assert.Equal("1 job server with a heartbeat in the last 2 minutes, 2 workers.", alive.Message);
        Assert.Equal(DoctorVerdict.Problem, stale.Verdict);
        Assert.StartsWith("no job server has sent a heartbeat in the last 2 minutes (1 known)", stale.Message, StringComparison.Ordinal);
        Assert.Contains("restart the host", stale.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoServerAtAllIsAProblemAndAHeartbeatAheadOfThisClockCountsAsAlive()
    {
        Assert.Equal(DoctorVerdict.Problem, JobServerCheck.Judge([], Now).Verdict);
        Assert.Equal(DoctorVerdict.Problem, JobServerCheck.Judge([Server(null)], Now).Verdict);
        Assert.Equal(DoctorVerdict.Ok, JobServerCheck.Judge([Server(Now.AddSeconds(20))], Now).Verdict);
    }

    [Fact]
    public void HostWithJobsDisabledSkipsTheCheckWithASentenceThatSaysWhy()
    {
        // The test host's default: no job server.
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();
        using var scope = app.Services.CreateScope();

        var finding = scope.ServiceProvider.GetRequiredService<JobServerCheck>().Run();

        Assert.StartsWith("skipped: ChatOpsBot:Jobs:Enabled is false, so this host runs no job server", finding.Message, StringComparison.Ordinal);
        Assert.Equal(TestProvider.IsPostgres ? DoctorVerdict.Ok : DoctorVerdict.Warning, finding.Verdict);
    }

    [Fact]
    public async Task RunningHostWithItsJobServerIsAlive()
    {
        using var app = new ChatOpsBotApplication(new() { ["ChatOpsBot:Jobs:Enabled"] = "true" });
        using var client = app.CreateLoopbackClient();
        var monitoring = app.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
        // A deadline, not a timing assertion: the server announces itself shortly after the host starts.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (monitoring.Servers().Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The host's job server did not announce itself.");
            await Task.Delay(50);
        }
        using var scope = app.Services.CreateScope();

        var finding = scope.ServiceProvider.GetRequiredService<JobServerCheck>().Run();

        Assert.True(finding.Verdict == DoctorVerdict.Ok, finding.Message);
        Assert.StartsWith("1 job server with a heartbeat", finding.Message, StringComparison.Ordinal);
    }
}
