namespace ChatOpsBot.Tests.S3;

/// <summary>ChatOpsBot:Artifacts settings that cannot work stop the host with a sentence naming the key, and never echo a secret.</summary>
public sealed class S3SettingsTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    private static Dictionary<string, string> S3(Dictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ChatOpsBot__Artifacts__Provider"] = "S3",
            ["ChatOpsBot__Artifacts__S3__ServiceUrl"] = "http://127.0.0.1:9",
            ["ChatOpsBot__Artifacts__S3__Bucket"] = "builds",
            ["ChatOpsBot__Artifacts__S3__Region"] = "us-east-1",
        };
        foreach (var (key, value) in settings)
            environment[key] = value;
        return environment;
    }

    [Theory]
    [InlineData("ChatOpsBot__Artifacts__S3__Bucket", "", "ChatOpsBot:Artifacts:S3:Bucket is required when ChatOpsBot:Artifacts:Provider is S3.")]
    [InlineData("ChatOpsBot__Artifacts__S3__Bucket", "Builds_Bucket", "ChatOpsBot:Artifacts:S3:Bucket must be an S3 bucket name")]
    [InlineData("ChatOpsBot__Artifacts__S3__ServiceUrl", "minio:9000", "ChatOpsBot:Artifacts:S3:ServiceUrl must be an absolute http or https URL")]
    [InlineData("ChatOpsBot__Artifacts__S3__Prefix", "/builds", "ChatOpsBot:Artifacts:S3:Prefix must end with '/'")]
    [InlineData("ChatOpsBot__Artifacts__S3__PartSize", "1048576", "ChatOpsBot:Artifacts:S3:PartSize must be between")]
    [InlineData("ChatOpsBot__Artifacts__Provider", "Azure", "ChatOpsBot:Artifacts:Provider")]
    public async Task S3SettingThatCannotWorkStopsTheHostNamingTheKey(string key, string value, string message)
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(S3(new() { [key] = value }));

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretAccessKeyWithoutItsKeyIdStopsTheHostWithoutShowingTheSecret()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(S3(new() { ["ChatOpsBot__Artifacts__S3__SecretAccessKey"] = Secret }));

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot:Artifacts:S3: set both AccessKeyId and SecretAccessKey, or neither", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AwsWithoutARegionStopsTheHostSayingToSetOne()
    {
        var environment = S3(new() { ["ChatOpsBot__Artifacts__S3__ServiceUrl"] = "", ["ChatOpsBot__Artifacts__S3__Region"] = "", ["AWS_REGION"] = "", ["AWS_DEFAULT_REGION"] = "" });

        var (exit, output) = await HostProcess.RunUntilExitAsync(environment);

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot:Artifacts:S3:Region is required when ChatOpsBot:Artifacts:S3:ServiceUrl is not set", output, StringComparison.Ordinal);
    }
}
