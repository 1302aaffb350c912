using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

/// <summary>Strings an IPA carries into its install manifest must be ones an XML property list can hold.</summary>
public sealed class ManifestMetadataTests
{
    // Code points by number: xUnit serialises theory data, and control characters make unreadable test names.
    public static TheoryData<string, int> UnwritableCharacters => new()
    {
        { "CFBundleDisplayName", 0x0000 },
        { "CFBundleDisplayName", 0x0001 },
        { "CFBundleDisplayName", 0xFFFE },
        { "CFBundleShortVersionString", 0x0000 },
        { "CFBundleShortVersionString", 0x0001 },
        { "CFBundleShortVersionString", 0xFFFE },
        { "CFBundleVersion", 0x001F },
        { "CFBundleIdentifier", 0xFFFF },
        { "CFBundleName", 0x0008 },
    };

    private static async Task<IpaInspectionResult> InspectAsync(TestIpaBuilder builder)
    {
        using var ipa = builder.BuildStream();
        return await IpaInspector.InspectAsync(ipa);
    }

    [Theory]
    [MemberData(nameof(UnwritableCharacters))]
    public async Task IpaWhoseManifestStringXmlCannotCarryIsRefusedNamingTheKey(string key, int code)
    {
        var value = $"1.0{(char)code}x";
        var builder = new TestIpaBuilder().WithInfoString(key, value);
        if (key == "CFBundleName")
            builder.Info.Remove("CFBundleDisplayName");

        var result = await InspectAsync(builder);

        Assert.False(result.IsAccepted, result.ToString());
        Assert.Equal(IpaRejectionReason.InvalidMetadata, result.Rejection.Reason);
        Assert.Equal(key, result.Rejection.Key);
        Assert.StartsWith($"{key} in Payload/Demo.app/Info.plist holds the {(code < 0x20 ? "control character" : "noncharacter")} U+{code:X4} at position 3,",
            result.Rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CFBundleDisplayName")]
    [InlineData("CFBundleShortVersionString")]
    public async Task IpaWhoseManifestStringHoldsALoneSurrogateIsRefusedNamingTheKey(string key)
    {
        // The binary reader keeps the lone surrogate for the Info.plist, so the refusal can say which key holds it.
        var result = await InspectAsync(new TestIpaBuilder().WithInfoString(key, "Demo\uD800App"));

        Assert.False(result.IsAccepted, result.ToString());
        Assert.Equal(IpaRejectionReason.InvalidMetadata, result.Rejection.Reason);
        Assert.Equal(key, result.Rejection.Key);
        Assert.StartsWith($"{key} in Payload/Demo.app/Info.plist holds a lone surrogate U+D800 at position 4,", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppFolderNameThatBecomesTheTitleIsCheckedToo()
    {
        var builder = new TestIpaBuilder("De\u0002mo");
        builder.Info.Remove("CFBundleDisplayName");
        builder.Info.Remove("CFBundleName");
        builder.Info.Remove("CFBundleExecutable");

        var result = await InspectAsync(builder);

        Assert.False(result.IsAccepted, result.ToString());
        Assert.Equal(IpaRejectionReason.InvalidMetadata, result.Rejection.Reason);
        Assert.Null(result.Rejection.Key);
        Assert.StartsWith("The app folder name Payload/De\u0002mo.app holds the control character U+0002", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TabsNewlinesAndSurrogatePairsAreAcceptedAndReachAWellFormedManifest()
    {
        var builder = new TestIpaBuilder()
            .WithInfoString("CFBundleDisplayName", "Demo\tApp\r\n\U0001F680")
            .WithInfoString("CFBundleShortVersionString", "1.0 \U0001F41B");

        var result = await InspectAsync(builder);

        Assert.True(result.IsAccepted, result.ToString());
        var manifest = ItmsManifest.Create(new ManifestContent("https://ota.example.test/i/t/app.ipa", null, result.Inspection.BundleId,
            result.Inspection.ShortVersion!, result.Inspection.DisplayName, $"beta · build {result.Inspection.BuildNumber}"));
        var metadata = Plist.ParseDictionary(manifest).GetArray("items")![0] is PlistDictionary item ? item.GetDictionary("metadata")! : null;
        Assert.Equal("Demo\tApp\r\n\U0001F680", metadata?.GetString("title"));
        Assert.Equal("1.0 \U0001F41B", metadata?.GetString("bundle-version"));
    }

    [Fact]
    public void FindUnwritableAgreesWithThePropertyListWriterOnEveryCodeUnit()
    {
        for (var code = 0; code <= char.MaxValue; code++)
        {
            var text = $"a{(char)code}b";
            bool written;
            try
            {
                Plist.ToXml(new PlistString(text));
                written = true;
            }
            catch (ArgumentException)
            {
                written = false;
            }

            Assert.True(written == ItmsManifest.FindUnwritable(text) is null, $"U+{code:X4}");
        }
        Assert.Null(ItmsManifest.FindUnwritable("\uD83D\uDE80"));
        Assert.Equal(1, ItmsManifest.FindUnwritable("a\uDE80\uD83D"));
        Assert.Equal(0, ItmsManifest.FindUnwritable("\uD83D"));
    }
}
