namespace ChatOpsBot.Tests.Offload;

public sealed class OffloadLocationTests
{
    [Fact]
    public async Task OperationsGuideShowsTheNginxLocationTheTestsRun()
    {
        var guide = await File.ReadAllTextAsync(Path.Combine(DeploymentTests.RepositoryRoot(), "docs", "operations.md"));
        var location = NginxServer.OffloadLocation
            .Replace("{InternalLocation}", DeliveryOptions.DefaultInternalLocation, StringComparison.Ordinal)
            .Replace("{DataDirectory}", "<DataDirectory>", StringComparison.Ordinal);
        var indented = string.Join('\n', location.Split('\n').Select(line => "    " + line));

        Assert.Contains(indented, guide.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
