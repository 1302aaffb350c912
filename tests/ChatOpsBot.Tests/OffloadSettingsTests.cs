using ChatOpsBot.Features.Builds;

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
        Assert.Equal("/_chatopsbot/s3/", options.StoreLocation);
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

    [Theory]
    [InlineData("_chatopsbot/s3/")]
    [InlineData("/_chatopsbot/s3")]
    [InlineData("/")]
    [InlineData("/_chatopsbot/./s3/")]
    [InlineData("/_chatopsbot//s3/")]
    [InlineData("/_chatopsbot s3/")]
    [InlineData("/_chatopsbot/s3/(all)/")]
    public void StoreLocationThatIsNotAPlainPathStartingAndEndingWithASlashIsRefused(string location)
    {
        var failures = DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect, StoreLocation = location }, S3Artifacts("")).ToList();

        var failure = Assert.Single(failures);
        Assert.StartsWith("ChatOpsBot:Delivery:StoreLocation must", failure, StringComparison.Ordinal);
        Assert.Contains($"\"{location}\"", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void StoreLocationEqualToTheInternalLocationIsRefused()
    {
        var failure = Assert.Single(DeliveryOptions.Validate(
            new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect, StoreLocation = "/internal/", InternalLocation = "/internal/" }, S3Artifacts("")));

        Assert.StartsWith("ChatOpsBot:Delivery:StoreLocation must differ from ChatOpsBot:Delivery:InternalLocation", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/_chatopsbot/s3/")]
    [InlineData("/store/")]
    [InlineData("/a.b/c-d/e~f/")]
    public void PlainStoreLocationsAreAccepted(string location) =>
        Assert.Empty(DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect, StoreLocation = location }, S3Artifacts("")));

    [Theory]
    [InlineData("my builds/")]
    [InlineData("builds%2F/")]
    [InlineData("builds/../")]
    [InlineData("./builds/")]
    [InlineData("b?x=1/")]
    [InlineData("bé/")]
    public void WithTheS3StoreAndXAccelRedirectAPrefixThatIsNotAPlainPathIsRefusedNamingTheKey(string prefix)
    {
        var failure = Assert.Single(DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect }, S3Artifacts(prefix)));

        Assert.StartsWith("ChatOpsBot:Artifacts:S3:Prefix must be a plain URL path", failure, StringComparison.Ordinal);
        Assert.Contains("ChatOpsBot:Delivery:Offload=XAccelRedirect", failure, StringComparison.Ordinal);
        Assert.Contains($"\"{prefix}\"", failure, StringComparison.Ordinal);
        // Streaming or redirecting, the key never sits in an nginx path.
        Assert.Empty(DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.None }, S3Artifacts(prefix)));
        Assert.Empty(DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.Redirect }, S3Artifacts(prefix)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("chatopsbot/")]
    [InlineData("a.b/c-d_e~f/")]
    public void WithTheS3StoreXAccelRedirectIsAcceptedWithAPlainPrefix(string prefix) =>
        Assert.Empty(DeliveryOptions.Validate(new DeliveryOptions { Offload = DeliveryOffload.XAccelRedirect }, S3Artifacts(prefix)));

    [Fact]
    public async Task XAccelRedirectWithTheS3StoreAndAPrefixThatIsNotAPlainPathStopsTheHost()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["ChatOpsBot__Artifacts__Provider"] = "S3",
            ["ChatOpsBot__Artifacts__S3__ServiceUrl"] = "http://127.0.0.1:9",
            ["ChatOpsBot__Artifacts__S3__Bucket"] = "builds",
            ["ChatOpsBot__Artifacts__S3__Prefix"] = "my builds/",
            ["ChatOpsBot__Delivery__Offload"] = "XAccelRedirect",
        });

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("ChatOpsBot:Artifacts:S3:Prefix must be a plain URL path", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static ArtifactOptions S3Artifacts(string prefix) => new()
    {
        Provider = ArtifactProvider.S3,
        S3 = new S3ArtifactOptions { Bucket = "builds", ServiceUrl = "http://127.0.0.1:9000", Prefix = prefix },
    };
}
