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

    [Fact]
    public async Task TheDeployNginxConfigurationHasTheLocationTheTestsRunWithItsAliasAndHsts()
    {
        var deploy = (await File.ReadAllTextAsync(Path.Combine(DeploymentTests.RepositoryRoot(), "deploy", "nginx", "chatopsbot.conf"))).ReplaceLineEndings("\n");
        var start = deploy.IndexOf($"location {DeliveryOptions.DefaultInternalLocation} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, "deploy/nginx/chatopsbot.conf has no offload location");
        var block = deploy[start..(deploy.IndexOf("\n    }", start, StringComparison.Ordinal) + 6)];
        var verified = NginxServer.OffloadLocation
            .Replace("{InternalLocation}", DeliveryOptions.DefaultInternalLocation, StringComparison.Ordinal)
            .Replace("{DataDirectory}", "/var/lib/chatopsbot", StringComparison.Ordinal);

        // Line for line the verified location (comments aside), plus the server block's HSTS that add_header drops.
        Assert.Equal(
            [.. Directives(verified)[..^1], "add_header Strict-Transport-Security \"max-age=31536000\" always;", "}"],
            Directives(block));
    }

    private static string[] Directives(string block) =>
        [.. block.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#'))];
}
