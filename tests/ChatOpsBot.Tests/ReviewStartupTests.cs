namespace ChatOpsBot.Tests;

/// <summary>An outside review's second pass: configuration values the binder cannot read.</summary>
public sealed class ReviewStartupTests
{
    [Theory]
    [InlineData("ChatOpsBot__Links__Lifetime", "an hour", "ChatOpsBot:Links:Lifetime")]
    [InlineData("ChatOpsBot__Install__RequestsPerWindow", "lots", "ChatOpsBot:Install:RequestsPerWindow")]
    [InlineData("ChatOpsBot__Retention__KeepBuildsPerChannel", "ten", "ChatOpsBot:Retention:KeepBuildsPerChannel")]
    public async Task ASettingThatIsNotANumberOrATimeStopsTheHostNamingTheKeyWithoutAStackTrace(string variable, string value, string key)
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["ChatOpsBot__ApiKeys__0__Name"] = "ci",
            ["ChatOpsBot__ApiKeys__0__Key"] = "a-key-long-enough-0123",
            ["ChatOpsBot__ApiKeys__0__Role"] = "Uploader",
            [variable] = value,
        });

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains(key, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }
}
