using ChatOpsBot.Core.Builds;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

public sealed class IpaInspectorTests
{
    private static async Task<IpaInspection> AcceptedAsync(TestIpaBuilder builder, IpaLimits? limits = null)
    {
        using var ipa = builder.BuildStream();
        var result = await IpaInspector.InspectAsync(ipa, limits);
        Assert.True(result.IsAccepted, result.ToString());
        return result.Inspection;
    }

    private static async Task<IpaRejection> RejectedAsync(byte[] ipa, IpaLimits? limits = null)
    {
        using var stream = new MemoryStream(ipa, writable: false);
        var result = await IpaInspector.InspectAsync(stream, limits);
        Assert.False(result.IsAccepted, "The IPA was accepted");
        return result.Rejection;
    }

    private static Task<IpaRejection> RejectedAsync(TestIpaBuilder builder, IpaLimits? limits = null) => RejectedAsync(builder.Build(), limits);

    [Fact]
    public async Task RealisticIpaYieldsTheAppsIdentityVersionsAndPlatforms()
    {
        var builder = new TestIpaBuilder().WithNestedBundlesFirst().WithMacMetadata()
            .WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));

        var inspection = await AcceptedAsync(builder);

        Assert.Equal("com.example.demo", inspection.BundleId);
        Assert.Equal("1.4.2", inspection.ShortVersion);
        Assert.Equal("187", inspection.BuildNumber);
        Assert.Equal("Demo & Co", inspection.DisplayName);
        Assert.Equal("16.0", inspection.MinimumOsVersion);
        Assert.Equal([1, 2], inspection.DeviceFamilies);
        Assert.Equal(["iPhoneOS"], inspection.SupportedPlatforms);
        Assert.Equal(ProvisioningProfileType.AdHoc, inspection.Profile?.Type);
        Assert.Equal(3, inspection.Profile?.DeviceCount);
    }

    [Fact]
    public async Task NestedBundlesPlacedFirstInZipOrderAreNeverTakenForTheApp()
    {
        var builder = new TestIpaBuilder().WithNestedBundlesFirst();

        var inspection = await AcceptedAsync(builder);

        // The nested bundles carry another id, a simulator platform, an App Store profile and a 1024 px icon.
        Assert.Equal("com.example.demo", inspection.BundleId);
        Assert.Null(inspection.Profile);
        Assert.Null(inspection.Icon);
    }

    [Fact]
    public async Task IpaOnATemporaryFileIsInspected()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, new TestIpaBuilder().WithNestedBundlesFirst().Build());
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);

            var result = await IpaInspector.InspectAsync(file);

            Assert.True(result.IsAccepted, result.ToString());
            Assert.Equal("com.example.demo", result.Inspection.BundleId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task XmlInfoPlistIsReadLikeABinaryOne()
    {
        var builder = new TestIpaBuilder();
        builder.WithInfoPlistBytes(Plist.ToXml(builder.Info));

        var inspection = await AcceptedAsync(builder);

        Assert.Equal("com.example.demo", inspection.BundleId);
        Assert.Equal("187", inspection.BuildNumber);
    }

    [Fact]
    public async Task DisplayNameFallsBackToTheBundleNameThenTheExecutable()
    {
        var builder = new TestIpaBuilder();
        builder.Info.Remove("CFBundleDisplayName");
        Assert.Equal("Demo", (await AcceptedAsync(builder)).DisplayName);

        builder.Info["CFBundleName"] = "  ";
        builder.Info["CFBundleExecutable"] = "DemoExec";
        Assert.Equal("DemoExec", (await AcceptedAsync(builder)).DisplayName);
    }

    [Fact]
    public async Task NumericVersionsAndAScalarDeviceFamilyAreTolerated()
    {
        var builder = new TestIpaBuilder();
        builder.Info["CFBundleVersion"] = 42L;
        builder.Info["UIDeviceFamily"] = 2L;

        var inspection = await AcceptedAsync(builder);

        Assert.Equal("42", inspection.BuildNumber);
        Assert.Equal([2], inspection.DeviceFamilies);
    }

    [Fact]
    public async Task MissingOptionalKeysComeBackAsNullOrEmpty()
    {
        var builder = new TestIpaBuilder();
        foreach (var key in (string[])["CFBundleShortVersionString", "CFBundleVersion", "MinimumOSVersion", "UIDeviceFamily", "CFBundleSupportedPlatforms"])
            builder.Info.Remove(key);

        var inspection = await AcceptedAsync(builder);

        Assert.Null(inspection.ShortVersion);
        Assert.Null(inspection.BuildNumber);
        Assert.Null(inspection.MinimumOsVersion);
        Assert.Empty(inspection.DeviceFamilies);
        Assert.Empty(inspection.SupportedPlatforms);
    }

    [Fact]
    public async Task NonSeekableStreamIsAProgrammingError()
    {
        await using var stream = new NonSeekableStream(new TestIpaBuilder().Build());

        await Assert.ThrowsAsync<ArgumentException>(() => IpaInspector.InspectAsync(stream));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(21)]
    [InlineData(5000)]
    public async Task BytesThatAreNotAZipAreRejected(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);

        var rejection = await RejectedAsync(bytes);

        Assert.Equal(IpaRejectionReason.NotAZip, rejection.Reason);
        Assert.Contains("not a zip", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedZipIsRejected()
    {
        var ipa = new TestIpaBuilder().Build();

        var rejection = await RejectedAsync(ipa[..(ipa.Length - 10)]);

        Assert.Equal(IpaRejectionReason.NotAZip, rejection.Reason);
    }

    [Fact]
    public async Task ZipWithoutAnAppIsRejected()
    {
        var noApp = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(noApp, System.IO.Compression.ZipArchiveMode.Create, true))
        {
            archive.CreateEntry("Payload/readme.txt");
            archive.CreateEntry("Demo.app/Info.plist");
        }

        var rejection = await RejectedAsync(noApp.ToArray());

        Assert.Equal(IpaRejectionReason.NoApp, rejection.Reason);
    }

    [Fact]
    public async Task ZipWhoseOnlyAppIsUnderMacMetadataIsRejected()
    {
        var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, true))
        {
            archive.CreateEntry("__MACOSX/Payload/Demo.app/Info.plist");
            archive.CreateEntry("Payload/._Demo.app/Info.plist");
        }

        Assert.Equal(IpaRejectionReason.NoApp, (await RejectedAsync(zip.ToArray())).Reason);
    }

    [Fact]
    public async Task TwoTopLevelAppsAreRejected()
    {
        var builder = new TestIpaBuilder().WithEntry("Payload/Other.app/Info.plist", Plist.ToBinary(new PlistDictionary { ["CFBundleIdentifier"] = "x" }));

        var rejection = await RejectedAsync(builder);

        Assert.Equal(IpaRejectionReason.MultipleApps, rejection.Reason);
        Assert.Contains("Demo.app", rejection.Message, StringComparison.Ordinal);
        Assert.Contains("Other.app", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppWhoseOnlyInfoPlistsBelongToNestedBundlesIsRejected()
    {
        var builder = new TestIpaBuilder().WithNestedBundlesFirst().WithoutInfoPlist();

        var rejection = await RejectedAsync(builder);

        Assert.Equal(IpaRejectionReason.MissingInfoPlist, rejection.Reason);
        Assert.Contains("Payload/Demo.app/Info.plist", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a plist")]
    [InlineData("bplist00\u0001\u0002 truncated")]
    [InlineData("<?xml version=\"1.0\"?><plist><dict><key>CFBundleIdentifier</key>")]
    [InlineData("<plist><array><string>root is not a dict</string></array></plist>")]
    public async Task MalformedInfoPlistIsRejected(string content)
    {
        var rejection = await RejectedAsync(new TestIpaBuilder().WithInfoPlistBytes(System.Text.Encoding.Latin1.GetBytes(content)));

        Assert.Equal(IpaRejectionReason.InvalidInfoPlist, rejection.Reason);
        Assert.Contains("Info.plist", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task InfoPlistWithoutABundleIdentifierIsRejected(string? id)
    {
        var builder = new TestIpaBuilder();
        if (id is null)
            builder.Info.Remove("CFBundleIdentifier");
        else
            builder.Info["CFBundleIdentifier"] = id;

        var rejection = await RejectedAsync(builder);

        Assert.Equal(IpaRejectionReason.MissingBundleIdentifier, rejection.Reason);
        Assert.Contains("CFBundleIdentifier", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BundleIdentifierOfTheWrongTypeIsRejected()
    {
        var builder = new TestIpaBuilder();
        builder.Info["CFBundleIdentifier"] = new PlistArray(["com.example.demo"]);

        Assert.Equal(IpaRejectionReason.MissingBundleIdentifier, (await RejectedAsync(builder)).Reason);
    }

    [Fact]
    public async Task SimulatorBuildIsRejected()
    {
        var builder = new TestIpaBuilder();
        builder.Info["CFBundleSupportedPlatforms"] = new PlistArray(["iPhoneSimulator"]);

        var rejection = await RejectedAsync(builder);

        Assert.Equal(IpaRejectionReason.SimulatorBuild, rejection.Reason);
        Assert.Contains("iPhoneSimulator", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppStoreBuildIsRefusedBecauseItCannotInstallOverTheAir()
    {
        var rejection = await RejectedAsync(new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AppStore())));

        Assert.Equal(IpaRejectionReason.AppStoreProfile, rejection.Reason);
        Assert.Equal("App Store builds cannot be installed over the air; upload a development, ad-hoc or enterprise build.", rejection.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x30, 0x82, 0x01, 0x00, 0x06 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x02, 0x03 })]
    [InlineData(new byte[0])]
    public async Task UnreadableProfileIsRejected(byte[] profile)
    {
        var rejection = await RejectedAsync(new TestIpaBuilder().WithProfile(profile));

        Assert.Equal(IpaRejectionReason.InvalidProfile, rejection.Reason);
        Assert.Contains("embedded.mobileprovision", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplicateInfoPlistEntriesAreRejected()
    {
        var builder = new TestIpaBuilder().WithAppFile("Info.plist", Plist.ToBinary(new PlistDictionary { ["CFBundleIdentifier"] = "com.evil" }));

        var rejection = await RejectedAsync(builder);

        Assert.Equal(IpaRejectionReason.DuplicateEntry, rejection.Reason);
    }

    [Fact]
    public async Task DuplicateProfileEntriesAreRejected()
    {
        var profile = TestProfiles.Sign(TestProfiles.AdHoc());
        var builder = new TestIpaBuilder().WithProfile(profile).WithProfile(profile);

        Assert.Equal(IpaRejectionReason.DuplicateEntry, (await RejectedAsync(builder)).Reason);
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
