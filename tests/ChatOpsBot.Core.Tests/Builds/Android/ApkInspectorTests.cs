using System.IO.Compression;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Builds.Android;

namespace ChatOpsBot.Core.Tests.Builds.Android;

// Real APKs from aapt, zipalign and apksigner, read by ApkInspector and compared with what `aapt dump badging` and
// `apksigner verify --print-certs` say about the same bytes.
public sealed partial class ApkInspectorTests
{
    private static readonly Dictionary<string, string> ThreeLocales = new() { [""] = "Hello App", ["fr"] = "Bonjour", ["de"] = "Hallo Welt" };

    private static readonly Dictionary<string, string> ManyLocales = new()
    {
        [""] = "Hello App",
        ["fr"] = "Bonjour",
        ["fr-rCA"] = "Bonjour, Canada",
        ["b+sr+Latn"] = "Zdravo",
        ["fil"] = "Kumusta",
        ["zh-rTW"] = "你好",
        ["ja"] = "こんにちは \"引用\"",
    };

    internal static ApkInspectionResult Inspect(byte[] apk, ApkLimits? limits = null)
    {
        using var stream = new MemoryStream(apk, writable: false);
        return ApkInspector.Inspect(stream, limits);
    }

    internal static ApkInspection Accepted(byte[] apk)
    {
        var result = Inspect(apk);
        Assert.True(result.IsAccepted, result.ToString());
        return result.Inspection;
    }

    [Fact]
    public async Task ManifestValuesMatchAaptBadging()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec
        {
            Labels = ThreeLocales,
            Debuggable = true,
            Abis = ["x86_64", "arm64-v8a"],
            Features = [("android.software.leanback", false)],
            VersionCode = 1_234,
            VersionName = "2.5.0-beta.1",
            MinSdk = 23,
            TargetSdk = 29,
        });

        var inspection = Accepted(apk);
        var badging = await TestApks.BadgingAsync(apk);

        var package = PackageLine().Match(badging);
        Assert.True(package.Success, badging);
        Assert.Equal(package.Groups["name"].Value, inspection.Package);
        Assert.Equal(package.Groups["code"].Value, inspection.VersionCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(package.Groups["version"].Value, inspection.VersionName);
        Assert.Equal(Single(badging, "sdkVersion:'(.*)'"), inspection.MinSdkVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Single(badging, "targetSdkVersion:'(.*)'"), inspection.TargetSdkVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Single(badging, "application-label:'(.*)'"), inspection.Label);
        Assert.Equal(Single(badging, "application-label-fr:'(.*)'"), inspection.LocalizedLabels["fr"]);
        Assert.Equal(Single(badging, "application-label-de:'(.*)'"), inspection.LocalizedLabels["de"]);
        Assert.Equal(2, inspection.LocalizedLabels.Count);
        Assert.Contains("application-debuggable", badging, StringComparison.Ordinal);
        Assert.True(inspection.Debuggable);
        Assert.Equal(Single(badging, "native-code: (.*)").Split(' ').Select(a => a.Trim('\'')).Order(StringComparer.Ordinal), inspection.Abis);
        Assert.Equal(["arm64-v8a", "x86_64"], inspection.Abis);
        Assert.Contains("uses-feature-not-required: name='android.software.leanback'", badging, StringComparison.Ordinal);
        Assert.Equal(ApkFormFactor.PhoneOrTablet, inspection.FormFactor);
        Assert.Equal(0, inspection.VersionCodeMajor);
    }

    [Fact]
    public async Task LabelsInEveryLocaleMatchAaptBadging()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { Labels = ManyLocales });

        var inspection = Accepted(apk);
        var badging = await TestApks.BadgingAsync(apk);

        var expected = Regex.Matches(badging, "^application-label-(?<locale>[^:]+):'(?<label>.*)'$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups["locale"].Value, m => BadgingUnescape(m.Groups["label"].Value.TrimEnd('\r')));
        Assert.Equal(6, expected.Count);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), inspection.LocalizedLabels.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal("こんにちは \"引用\"", inspection.LocalizedLabels["ja"]);
    }

    [Fact]
    public async Task InspectReadsAPathAndRefusesAStreamItCannotSeek()
    {
        var dir = Directory.CreateTempSubdirectory("chatopsbot-apk-");
        try
        {
            var path = await TestApks.BuildFileAsync(new TestApkSpec(), dir.FullName);

            Assert.Equal("com.example.hello", ApkInspector.Inspect(path).Inspection?.Package);
            using var unseekable = new UnseekableStream(await File.ReadAllBytesAsync(path));
            Assert.Throws<ArgumentException>(() => ApkInspector.Inspect(unseekable));
            Assert.Throws<ArgumentException>(() => BuildPackageDetector.Detect(unseekable));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // aapt prints quotes and backslashes in values with a backslash before them.
    private static string BadgingUnescape(string value) => Regex.Replace(value, @"\\(.)", "$1");

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task AppWithoutDebuggableIsNotDebuggable()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec());

        var inspection = Accepted(apk);

        Assert.DoesNotContain("application-debuggable", await TestApks.BadgingAsync(apk), StringComparison.Ordinal);
        Assert.False(inspection.Debuggable);
        Assert.Empty(inspection.Abis);
        Assert.Equal("Hello App", inspection.Label);
    }

    [Fact]
    public async Task LabelOnlyInANonDefaultLocaleIsTakenAsTheFirstNonEmptyAlternative()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { Labels = new Dictionary<string, string> { ["fr"] = "Seulement en français" }, Icon = null, Resources = [] });

        var inspection = Accepted(apk);

        Assert.Equal("Seulement en français", inspection.Label);
        Assert.Equal("Seulement en français", inspection.LocalizedLabels["fr"]);
        Assert.Equal(Single(await TestApks.BadgingAsync(apk), "application-label-fr:'(.*)'"), inspection.LocalizedLabels["fr"]);
    }

    [Fact]
    public async Task AppWithoutLabelIsNamedByItsPackage()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { Labels = new Dictionary<string, string>() });

        Assert.Equal("com.example.hello", Accepted(apk).Label);
    }

    [Fact]
    public async Task PlainIconIsThePngOfTheHighestDensity()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec());

        var icon = Accepted(apk).Icon;

        Assert.NotNull(icon);
        Assert.Equal("image/png", icon.ContentType);
        Assert.Equal("res/mipmap-xxhdpi-v4/ic_launcher.png", icon.Path);
        Assert.Equal(EntryBytes(apk, icon.Path), icon.Bytes.ToArray());
        Assert.Contains("application-icon-480:'res/mipmap-xxhdpi-v4/ic_launcher.png'", await TestApks.BadgingAsync(apk), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdaptiveIconWithSameNamedPngsGivesTheHighestDensityPng()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec
        {
            Resources =
            [
                .. TestApks.PlainIcons(),
                ("mipmap-hdpi/ic_launcher.png", TestApks.Png(72, 0, 0, 0xFF)),
                ("mipmap-anydpi-v26/ic_launcher.xml", System.Text.Encoding.UTF8.GetBytes(TestApks.AdaptiveIconXml("@mipmap/ic_launcher_foreground", "@color/icon_background"))),
                ("mipmap-xhdpi/ic_launcher_foreground.png", TestApks.Png(96, 0x11, 0x22, 0x33)),
            ],
        });

        var icon = Accepted(apk).Icon;

        Assert.NotNull(icon);
        Assert.Equal("res/mipmap-xxhdpi-v4/ic_launcher.png", icon.Path);
        Assert.Contains("application-icon-65534:'res/mipmap-anydpi-v26/ic_launcher.xml'", await TestApks.BadgingAsync(apk), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdaptiveIconWithoutPngGivesItsForegroundLayersHighestDensity()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec
        {
            MinSdk = 26,
            Resources =
            [
                ("mipmap-anydpi-v26/ic_launcher.xml", System.Text.Encoding.UTF8.GetBytes(TestApks.AdaptiveIconXml("@mipmap/ic_launcher_foreground", "@color/icon_background"))),
                ("mipmap-mdpi/ic_launcher_foreground.png", TestApks.Png(108, 0x11, 0x22, 0x33)),
                ("mipmap-xhdpi/ic_launcher_foreground.png", TestApks.Png(216, 0x44, 0x55, 0x66)),
            ],
        });

        var icon = Accepted(apk).Icon;

        Assert.NotNull(icon);
        Assert.Equal("res/mipmap-xhdpi-v4/ic_launcher_foreground.png", icon.Path);
        Assert.Equal("image/png", icon.ContentType);
    }

    [Fact]
    public async Task AdaptiveIconWithAVectorForegroundHasNoRasterIcon()
    {
        var vector = """
            <vector xmlns:android="http://schemas.android.com/apk/res/android" android:width="108dp" android:height="108dp"
                android:viewportWidth="108" android:viewportHeight="108"><path android:fillColor="#FFFFFF" android:pathData="M0,0h108v108h-108z"/></vector>
            """;
        var apk = await TestApks.BuildAsync(new TestApkSpec
        {
            MinSdk = 26,
            Resources =
            [
                ("mipmap-anydpi-v26/ic_launcher.xml", System.Text.Encoding.UTF8.GetBytes(TestApks.AdaptiveIconXml("@drawable/ic_launcher_foreground", "@color/icon_background"))),
                ("drawable/ic_launcher_foreground.xml", System.Text.Encoding.UTF8.GetBytes(vector)),
            ],
        });

        var inspection = Accepted(apk);

        Assert.Null(inspection.Icon);
    }

    [Fact]
    public async Task WebPIconOfTheHighestDensityKeepsItsOwnContentType()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec
        {
            Resources = [.. TestApks.PlainIcons(), ("mipmap-xxxhdpi/ic_launcher.webp", TestApks.WebP)],
        });

        var icon = Accepted(apk).Icon;

        Assert.NotNull(icon);
        Assert.Equal("image/webp", icon.ContentType);
        Assert.Equal(TestApks.WebP, icon.Bytes.ToArray());
    }

    [Theory]
    [InlineData(TestApkTool.Aapt2Sparse)]
    [InlineData(TestApkTool.Aapt2Optimized)]
    public async Task Aapt2SparseAndOptimizedApksResolveLikeAaptOnes(TestApkTool tool)
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec
        {
            Tool = tool,
            MinSdk = 26,
            Labels = ThreeLocales,
            Abis = ["armeabi-v7a"],
            Resources =
            [
                .. TestApks.PlainIcons(),
                ("mipmap-anydpi-v26/ic_launcher.xml", System.Text.Encoding.UTF8.GetBytes(TestApks.AdaptiveIconXml("@mipmap/ic_launcher", "@color/icon_background"))),
            ],
        });

        var inspection = Accepted(apk);
        var badging = await TestApks.BadgingAsync(apk);

        Assert.Equal(Single(badging, "application-label:'(.*)'"), inspection.Label);
        Assert.Equal(Single(badging, "application-label-de:'(.*)'"), inspection.LocalizedLabels["de"]);
        Assert.Equal(Single(badging, "application-label-fr:'(.*)'"), inspection.LocalizedLabels["fr"]);
        Assert.Equal(["armeabi-v7a"], inspection.Abis);
        Assert.NotNull(inspection.Icon);
        Assert.Equal(144, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(inspection.Icon.Bytes.Span[16..]));
        if (tool == TestApkTool.Aapt2Optimized)
            Assert.DoesNotContain("mipmap", inspection.Icon.Path, StringComparison.Ordinal);
        Assert.Contains(TypeChunkFlags(EntryBytes(apk, "resources.arsc")), flags => (flags & 1) != 0);
    }

    // The flags byte of every TYPE chunk in the first package, read independently of ResourceTable.
    private static List<byte> TypeChunkFlags(byte[] table)
    {
        var flags = new List<byte>();
        var pool = 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(12 + 4));
        var package = pool;
        var end = package + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(package + 4));
        for (var at = package + System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(package + 2)); at < end;
             at += System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(at + 4)))
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(at)) == 0x0201)
                flags.Add(table[at + 9]);
        }
        return flags;
    }

    [Fact]
    public async Task AppWithoutIconHasNone()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { Icon = null, Resources = [] });

        Assert.Null(Accepted(apk).Icon);
    }

    [Theory]
    [InlineData(TestApkSigning.V1V2AndV3, "v1 v2 v3")]
    [InlineData(TestApkSigning.V2AndV3, "v2 v3")]
    [InlineData(TestApkSigning.V1Only, "v1")]
    public async Task SignersMatchApksignerPrintCerts(TestApkSigning signing, string schemes)
    {
        // Without v1, Android needs minSdkVersion 24 (Nougat, the first with v2).
        var apk = await TestApks.BuildAsync(new TestApkSpec { Signing = signing, MinSdk = signing == TestApkSigning.V2AndV3 ? 24 : 21 });

        var inspection = Accepted(apk);
        var certs = await TestApks.PrintCertsAsync(apk);

        Assert.Equal(schemes, string.Join(' ', inspection.SignatureSchemes));
        var signer = Assert.Single(inspection.Signers);
        Assert.Equal(Single(certs, "Signer #1 certificate DN: (.*)"), signer.Subject);
        Assert.Equal(TestApks.CertificateSubject, signer.Subject);
        Assert.Equal(Single(certs, "Signer #1 certificate SHA-256 digest: (.*)"), signer.Sha256);
        Assert.Contains($"Verified using v1 scheme (JAR signing): {(schemes.Contains("v1", StringComparison.Ordinal) ? "true" : "false")}", certs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppTargetingAndroid11WithOnlyAV1SignatureIsRefusedAndWithV2Accepted()
    {
        var v1 = await TestApks.BuildAsync(new TestApkSpec { Signing = TestApkSigning.V1Only, TargetSdk = 30 });
        var v2 = await TestApks.BuildAsync(new TestApkSpec { Signing = TestApkSigning.V2AndV3, MinSdk = 24, TargetSdk = 30 });

        var refused = Inspect(v1);

        Assert.Equal(ApkRejectionReason.V2SignatureRequired, refused.Rejection?.Reason);
        Assert.Contains("v2", refused.Rejection?.Message, StringComparison.Ordinal);
        Assert.Equal(30, Accepted(v2).TargetSdkVersion);
    }

    [Fact]
    public async Task UnsignedApkIsRejectedAsUnsigned()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { Signing = TestApkSigning.None });

        var result = Inspect(apk);

        Assert.Equal(ApkRejectionReason.Unsigned, result.Rejection?.Reason);
        Assert.Contains("not signed", result.Rejection?.Message, StringComparison.Ordinal);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApks.PrintCertsAsync(apk));
        Assert.Contains("DOES NOT VERIFY", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("android.software.leanback", true, ApkFormFactor.Tv)]
    [InlineData("android.software.leanback", false, ApkFormFactor.PhoneOrTablet)]
    [InlineData("android.hardware.type.watch", true, ApkFormFactor.Wear)]
    [InlineData("android.hardware.camera", true, ApkFormFactor.PhoneOrTablet)]
    public async Task FormFactorFollowsTheUsesFeatures(string feature, bool required, ApkFormFactor expected)
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { Features = [("android.hardware.camera", false), (feature, required)] });

        Assert.Equal(expected, Accepted(apk).FormFactor);
        Assert.Contains($"{(required ? "uses-feature" : "uses-feature-not-required")}: name='{feature}'", await TestApks.BadgingAsync(apk), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionCodeMajorIsReadAndMakesTheLongVersionCode()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec { VersionCode = 7, VersionCodeMajor = 3 });

        var inspection = Accepted(apk);
        var xmltree = await WithFileAsync(apk, path => TestApks.RunAsync("aapt", ["dump", "xmltree", path, "AndroidManifest.xml"], CancellationToken.None));

        Assert.Contains("android:versionCodeMajor(0x01010576)=(type 0x10)0x3", xmltree, StringComparison.Ordinal);
        Assert.Equal(7, inspection.VersionCode);
        Assert.Equal(3, inspection.VersionCodeMajor);
        Assert.Equal((3L << 32) | 7, inspection.LongVersionCode);
    }

    [Fact]
    public async Task AppBundleIsRejectedWithTheBundletoolCommand()
    {
        var aab = await TestApks.BuildAppBundleAsync(new TestApkSpec());
        Assert.Equal(0x0A, EntryBytes(aab, "base/manifest/AndroidManifest.xml")[0]);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApks.BadgingAsync(aab));
        Assert.Contains("AndroidManifest.xml", e.Message, StringComparison.Ordinal);

        var result = Inspect(aab);

        Assert.Equal(ApkRejectionReason.AppBundle, result.Rejection?.Reason);
        Assert.Contains("bundletool build-apks --mode=universal", result.Rejection?.Message, StringComparison.Ordinal);
        Assert.Equal(BuildPackageKind.AppBundle, Detect(aab));
    }

    [Fact]
    public async Task DetectorTellsApkFromIpaFromAppBundleByContent()
    {
        var apk = await TestApks.BuildAsync(new TestApkSpec());

        Assert.Equal(BuildPackageKind.Apk, Detect(apk));
        Assert.Equal(BuildPackageKind.Ipa, Detect(new TestIpaBuilder().Build()));
        Assert.Equal(BuildPackageKind.AppBundle, Detect(AppBundle()));
        Assert.Equal(BuildPackageKind.Unknown, Detect("just some text, not a zip"u8.ToArray()));
        Assert.Equal(BuildPackageKind.Unknown, Detect(Zip(("readme.txt", "hello"u8.ToArray()))));
        Assert.Equal(BuildPackageKind.Ipa, BuildPackageDetector.Classify(["Payload/", "Payload/Demo.app/", "Payload/Demo.app/Info.plist"]));
        Assert.Equal(BuildPackageKind.Apk, BuildPackageDetector.Classify(["META-INF/MANIFEST.MF", "AndroidManifest.xml", "classes.dex"]));
    }

    [Fact]
    public async Task IpaGivenToTheApkReaderIsNotAnApk()
    {
        var result = Inspect(new TestIpaBuilder().Build());

        Assert.Equal(ApkRejectionReason.NotAnApk, result.Rejection?.Reason);
        await Task.CompletedTask;
    }

    internal static BuildPackageKind Detect(byte[] upload)
    {
        using var stream = new MemoryStream(upload, writable: false);
        var kind = BuildPackageDetector.Detect(stream);
        Assert.Equal(0, stream.Position);
        return kind;
    }

    // What bundletool writes, as far as recognising it goes: BundleConfig.pb and base/manifest/ (a protobuf manifest).
    internal static byte[] AppBundle() => Zip(
        ("BundleConfig.pb", [0x0a, 0x08, 0x12, 0x06, .. "1.15.6"u8]),
        ("base/manifest/AndroidManifest.xml", [0x0a, 0x02, 0x1a, 0x00]),
        ("base/dex/classes.dex", "dex\n035\0"u8.ToArray()));

    internal static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(bytes);
            }
        }
        return output.ToArray();
    }

    internal static byte[] EntryBytes(byte[] apk, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(apk), ZipArchiveMode.Read);
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task<string> WithFileAsync(byte[] apk, Func<string, Task<string>> run)
    {
        var dir = Directory.CreateTempSubdirectory("chatopsbot-apk-");
        try
        {
            var path = Path.Combine(dir.FullName, "app.apk");
            await File.WriteAllBytesAsync(path, apk);
            return await run(path);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Single(string text, string pattern)
    {
        var match = Regex.Match(text, "^" + pattern + "$", RegexOptions.Multiline);
        Assert.True(match.Success, $"/{pattern}/ not in:\n{text}");
        return match.Groups[1].Value.TrimEnd('\r');
    }

    [GeneratedRegex("^package: name='(?<name>[^']*)' versionCode='(?<code>[^']*)' versionName='(?<version>[^']*)'", RegexOptions.Multiline)]
    private static partial Regex PackageLine();
}
