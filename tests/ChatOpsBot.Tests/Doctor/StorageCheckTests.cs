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
            Assert.Contains("checked by the Health page", jobs.Message, StringComparison.Ordinal);
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
