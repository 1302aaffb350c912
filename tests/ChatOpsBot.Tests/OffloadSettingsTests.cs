namespace ChatOpsBot.Tests;

/// <summary>ChatOpsBot:Delivery: what stops the host at start, each mistake named by its key.</summary>
public sealed class OffloadSettingsTests
{
    [Fact]
    public async Task RedirectOffloadStopsTheHostSayingItNeedsTheS3ArtifactStore()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new() { ["ChatOpsBot__Delivery__Offload"] = "Redirect" });

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("ChatOpsBot:Delivery:Offload=Redirect", output, StringComparison.Ordinal);
        Assert.Contains("needs ChatOpsBot:Artifacts:Provider=S3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OffloadThatIsNotAKnownModeStopsTheHostNamingTheKey()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new() { ["ChatOpsBot__Delivery__Offload"] = "Sendfile" });

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("ChatOpsBot:Delivery:Offload", output, StringComparison.Ordinal);
        Assert.Contains("Sendfile", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("_chatopsbot/artifacts/")]
    [InlineData("/_chatopsbot/artifacts")]
    [InlineData("/")]
    [InlineData("/_chatopsbot/../artifacts/")]
    [InlineData("/_chatopsbot//artifacts/")]
    [InlineData("/_chatopsbot artifacts/")]
    [InlineData("/_chatopsbot/artifacts/?x=")]
    public void InternalLocationThatIsNotAPlainPathStartingAndEndingWithASlashIsRefused(string location)
    {
        var failures = DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect, InternalLocation = location }).ToList();

        var failure = Assert.Single(failures);
        Assert.StartsWith("ChatOpsBot:Delivery:InternalLocation must", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/_chatopsbot/artifacts/")]
    [InlineData("/internal/")]
    [InlineData("/a.b/c-d/e~f/")]
    public void PlainInternalLocationsAreAccepted(string location) =>
        Assert.Empty(DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect, InternalLocation = location }));

    [Fact]
    public void OffloadIsOffByDefaultWithTheDocumentedInternalLocation()
    {
        var options = new DeliveryOptions();

        Assert.Equal(DeliveryOffload.None, options.Offload);
        Assert.Equal("/_chatopsbot/artifacts/", options.InternalLocation);
        Assert.Empty(DeliveryOptions.Validate(options));
    }

    [Fact]
    public async Task InternalLocationWithoutTheTrailingSlashStopsTheHost()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["ChatOpsBot__Delivery__Offload"] = "XAccelRedirect",
            ["ChatOpsBot__Delivery__InternalLocation"] = "/_chatopsbot/artifacts",
        });

        Assert.Equal(1, exit);
        Assert.Contains("ChatOpsBot:Delivery:InternalLocation must start and end with /", output, StringComparison.Ordinal);
    }
}
