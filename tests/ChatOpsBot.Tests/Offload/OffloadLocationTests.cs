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

    [Fact]
    public async Task OperationsGuideShowsTheObjectStoreLocationTheTestsRun()
    {
        var guide = await File.ReadAllTextAsync(Path.Combine(DeploymentTests.RepositoryRoot(), "docs", "operations.md"));
        var location = NginxServer.StoreLocationFor(new Uri("http://minio:9000"));
        var indented = string.Join('\n', location.Split('\n').Select(line => line.Length == 0 ? "" : "    " + line));

        Assert.Contains(indented, guide.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDeployNginxConfigurationHasTheObjectStoreLocationTheTestsRunForTheComposeFilesMinio()
    {
        var deploy = (await File.ReadAllTextAsync(Path.Combine(DeploymentTests.RepositoryRoot(), "deploy", "nginx", "chatopsbot.conf"))).ReplaceLineEndings("\n");
        var start = deploy.IndexOf($"location ~ \"^{DeliveryOptions.DefaultStoreLocation}", StringComparison.Ordinal);
        Assert.True(start >= 0, "deploy/nginx/chatopsbot.conf has no object-store location");
        var named = deploy.IndexOf("location @chatopsbot_store_failed {", start, StringComparison.Ordinal);
        Assert.True(named > start, "deploy/nginx/chatopsbot.conf has no @chatopsbot_store_failed location after the object-store one");
        var block = deploy[start..(deploy.IndexOf("\n    }", named, StringComparison.Ordinal) + 6)];
        var verified = Directives(NginxServer.StoreLocationFor(new Uri("http://minio:9000")));
        var close = Array.IndexOf(verified, "}");

        // Line for line the verified locations (comments aside), plus Docker's resolver for the name minio and the
        // server block's HSTS that add_header drops.
        Assert.Equal(
            [verified[0], verified[1], "resolver 127.0.0.11 valid=30s ipv6=off;", .. verified[2..close],
             "add_header Strict-Transport-Security \"max-age=31536000\" always;", .. verified[close..]],
            Directives(block));
    }

    private static string[] Directives(string block) =>
        [.. block.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#'))];
}
