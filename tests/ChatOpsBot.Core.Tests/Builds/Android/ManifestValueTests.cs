namespace ChatOpsBot.Core.Tests.Builds.Android;

// Typed manifest values as tools other than aapt may write them: references to @integer and @bool resources,
// strings where numbers are expected, SDK codenames, icons given as literal paths.
public sealed class ManifestValueTests
{
    private const uint VersionCode = 0x0101021b, VersionName = 0x0101021c;

    private static byte[] Apk(AxmlNode manifest, ArscWriter? table = null, IEnumerable<ZipItem>? extra = null) =>
        HandMadeApks.Apk(new AxmlWriter().Write(manifest), table?.Write(), extra);

    [Fact]
    public void VersionCodeAndDebuggableMayBeResourceReferences()
    {
        var table = new ArscWriter();
        table.Types.Add(new ArscType(4, new Dictionary<int, (byte, uint)> { [0] = (0x10, 77), [1] = (0x12, 0xFFFFFFFF), [2] = (0x01, ArscWriter.Id(4, 0)) }));
        var manifest = new AxmlNode("manifest",
            [new AxmlAttr("package", 0, 0x03, 0, "com.example.refs"), AxmlAttr.Ref("versionCode", VersionCode, ArscWriter.Id(4, 2)), AxmlAttr.String("versionName", VersionName, "7.7")],
            [AxmlWriter.Application(AxmlAttr.Ref("debuggable", HandMadeApks.Debuggable, ArscWriter.Id(4, 1)))]);

        var inspection = ApkInspectorTests.Inspect(Apk(manifest, table)).Inspection;

        Assert.NotNull(inspection);
        Assert.Equal(77, inspection.VersionCode);
        Assert.True(inspection.Debuggable);
        Assert.Equal("7.7", inspection.VersionName);
    }

    [Fact]
    public void NumbersWrittenAsStringsAreNumbersAndACodenameIsAPreviewSdk()
    {
        var manifest = new AxmlNode("manifest",
            [new AxmlAttr("package", 0, 0x03, 0, "com.example.strings"), AxmlAttr.String("versionCode", VersionCode, " 12 "), AxmlAttr.Int("versionName", VersionName, 3)],
            [new AxmlNode("uses-sdk", AxmlAttr.String("minSdkVersion", HandMadeApks.MinSdk, "VanillaIceCream"), AxmlAttr.String("targetSdkVersion", HandMadeApks.TargetSdk, "29"))]);

        var inspection = ApkInspectorTests.Inspect(Apk(manifest)).Inspection;

        Assert.NotNull(inspection);
        Assert.Equal(12, inspection.VersionCode);
        Assert.Equal("3", inspection.VersionName);
        Assert.Equal(10_000, inspection.MinSdkVersion);
        Assert.Equal(29, inspection.TargetSdkVersion);
    }

    [Fact]
    public void WithoutUsesSdkTheMinimumIsOneAndTheTargetTheMinimum()
    {
        var manifest = new AxmlNode("manifest", new AxmlAttr("package", 0, 0x03, 0, "com.example.bare"));

        var inspection = ApkInspectorTests.Inspect(Apk(manifest)).Inspection;

        Assert.NotNull(inspection);
        Assert.Equal((1, 1, 0L, (string?)null), (inspection.MinSdkVersion, inspection.TargetSdkVersion, inspection.VersionCode, inspection.VersionName));
        Assert.Equal("com.example.bare", inspection.Label);
        Assert.Null(inspection.Icon);
    }

    [Fact]
    public void AppWithoutIconTakesItsLauncherActivitysIcon()
    {
        var png = TestApks.Png(5, 5, 5, 5);
        AxmlNode Activity(string name, string icon, bool launcher) => new("activity",
            [AxmlAttr.String("name", 0x01010003, name), AxmlAttr.String("icon", HandMadeApks.Icon, icon)],
            [new AxmlNode("intent-filter", [],
                [new AxmlNode("action", AxmlAttr.String("name", 0x01010003, "android.intent.action.MAIN")),
                 new AxmlNode("category", AxmlAttr.String("name", 0x01010003, launcher ? "android.intent.category.LAUNCHER" : "android.intent.category.DEFAULT"))])]);
        var manifest = AxmlWriter.Manifest(children: new AxmlNode("application", [], [Activity(".Settings", "res/settings.png", false), Activity(".Main", "res/main.png", true)]));

        var icon = ApkInspectorTests.Inspect(Apk(manifest, extra: [new ZipItem("res/main.png", png), new ZipItem("res/settings.png", TestApks.Png(9, 9, 9, 9))])).Inspection?.Icon;

        Assert.Equal("res/main.png", icon?.Path);
    }

    [Fact]
    public void AppTargetingAndroid11WithACompressedResourceTableIsRefused()
    {
        var table = new ArscWriter();
        table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("Compressed")) }));
        var manifest = new AxmlWriter().Write(AxmlWriter.Manifest(children: [new AxmlNode("uses-sdk", AxmlAttr.Int("targetSdkVersion", HandMadeApks.TargetSdk, 30))]));

        var result = ApkInspectorTests.Inspect(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest), new ZipItem("resources.arsc", table.Write()) { Method = 8 }, .. HandMadeApks.Signature()]));

        Assert.Equal(ChatOpsBot.Core.Builds.Android.ApkRejectionReason.ResourcesCompressed, result.Rejection?.Reason);
        Assert.Contains("zipalign", result.Rejection?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IconGivenAsALiteralPathOrThroughAnAliasIsFound()
    {
        var png = TestApks.Png(3, 1, 2, 3);
        var literal = AxmlWriter.Manifest(children: AxmlWriter.Application(AxmlAttr.String("icon", HandMadeApks.Icon, "res/x/icon.png")));
        Assert.Equal(png, ApkInspectorTests.Inspect(Apk(literal, extra: [new ZipItem("res/x/icon.png", png)])).Inspection?.Icon?.Bytes.ToArray());

        // @mipmap/alias → @drawable/real, which has an mdpi JPEG-named PNG and an xhdpi file that is no bitmap at all.
        var table = new ArscWriter();
        table.Types.Add(new ArscType(3, new Dictionary<int, (byte, uint)> { [0] = (0x01, ArscWriter.Id(5, 0)) }));
        table.Types.Add(new ArscType(5, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("res/a.jpg")) }) { Density = 160 });
        table.Types.Add(new ArscType(5, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("res/b.png")) }) { Density = 320 });
        var aliased = AxmlWriter.Manifest(children: AxmlWriter.Application(AxmlAttr.Ref("icon", HandMadeApks.Icon, ArscWriter.Id(3, 0))));
        var icon = ApkInspectorTests.Inspect(Apk(aliased, table, [new ZipItem("res/a.jpg", png), new ZipItem("res/b.png", "not an image"u8.ToArray())])).Inspection?.Icon;
        Assert.NotNull(icon);
        Assert.Equal(("res/a.jpg", "image/png"), (icon.Path, icon.ContentType));
    }
}
