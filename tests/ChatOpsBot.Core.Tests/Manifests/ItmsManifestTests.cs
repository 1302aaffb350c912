using System.Text;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Manifests;

public sealed class ItmsManifestTests
{
    private static readonly ManifestContent Content = new(
        "https://ota.example.com/i/tok/app.ipa", "https://ota.example.com/i/tok/icon.png", "com.example.app", "1.4.2", "Tom & Jerry <beta>", "beta · build 187");

    [Fact]
    public void ManifestHasOneItemWithThePackageImagesAndMetadata()
    {
        var root = Plist.ParseDictionary(ItmsManifest.Create(Content));

        var item = (PlistDictionary)Assert.Single(root.GetArray("items")!);
        var assets = item.GetArray("assets")!.Cast<PlistDictionary>().Select(a => (a.GetString("kind"), a.GetString("url")));
        Assert.Equal(
            [("software-package", Content.IpaUrl), ("display-image", Content.IconUrl), ("full-size-image", Content.IconUrl)],
            assets);
        var metadata = item.GetDictionary("metadata")!;
        Assert.Equal("com.example.app", metadata.GetString("bundle-identifier"));
        Assert.Equal("1.4.2", metadata.GetString("bundle-version"));
        Assert.Equal("software", metadata.GetString("kind"));
        Assert.Equal("Tom & Jerry <beta>", metadata.GetString("title"));
        Assert.Equal("beta · build 187", metadata.GetString("subtitle"));
    }

    [Fact]
    public void MarkupInTitlesIsEscaped()
    {
        var xml = Encoding.UTF8.GetString(ItmsManifest.Create(Content));

        Assert.Contains("<string>Tom &amp; Jerry &lt;beta&gt;</string>", xml, StringComparison.Ordinal);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestWithoutIconListsOnlyThePackage()
    {
        var root = Plist.ParseDictionary(ItmsManifest.Create(Content with { IconUrl = null }));

        var item = (PlistDictionary)Assert.Single(root.GetArray("items")!);
        Assert.Single(item.GetArray("assets")!);
    }

    [Theory]
    [InlineData("https://ota.example.com/i/abc/manifest.plist",
        "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.example.com%2Fi%2Fabc%2Fmanifest.plist")]
    [InlineData("https://ota.example.com/base path/i/a&b?c/manifest.plist",
        "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.example.com%2Fbase%20path%2Fi%2Fa%26b%3Fc%2Fmanifest.plist")]
    public void ItmsServicesLinkEncodesTheManifestUrlOnce(string manifestUrl, string expected)
    {
        var link = ItmsManifest.ItmsServicesUrl(manifestUrl);

        Assert.Equal(expected, link);
        Assert.Equal(manifestUrl, ItmsManifest.ManifestUrlOf(link));
        Assert.Equal(2, link.Split('&').Length);
    }
}
