using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

// Builds IPAs in memory shaped like Xcode's: binary Info.plist, crushed icons, a signed profile, and (on request)
// nested watch-app, extension and framework bundles and Finder's __MACOSX litter placed before the app's files.
internal sealed class TestIpaBuilder
{
    private readonly List<(string Name, byte[] Data)> _first = [];
    private readonly List<(string Name, byte[] Data)> _app = [];
    private byte[]? _rawInfoPlist;
    private bool _withoutInfoPlist;

    public TestIpaBuilder(string appName = "Demo")
    {
        AppName = appName;
        Info = new PlistDictionary
        {
            ["CFBundleDevelopmentRegion"] = "en",
            ["CFBundleDisplayName"] = "Demo & Co",
            ["CFBundleExecutable"] = "Demo",
            ["CFBundleIcons"] = new PlistDictionary
            {
                ["CFBundlePrimaryIcon"] = new PlistDictionary
                {
                    ["CFBundleIconFiles"] = new PlistArray(["AppIcon60x60"]),
                    ["CFBundleIconName"] = "AppIcon",
                },
            },
            ["CFBundleIcons~ipad"] = new PlistDictionary
            {
                ["CFBundlePrimaryIcon"] = new PlistDictionary
                {
                    ["CFBundleIconFiles"] = new PlistArray(["AppIcon60x60", "AppIcon76x76"]),
                    ["CFBundleIconName"] = "AppIcon",
                },
            },
            ["CFBundleIdentifier"] = "com.example.demo",
            ["CFBundleName"] = "Demo",
            ["CFBundlePackageType"] = "APPL",
            ["CFBundleShortVersionString"] = "1.4.2",
            ["CFBundleSupportedPlatforms"] = new PlistArray(["iPhoneOS"]),
            ["CFBundleVersion"] = "187",
            ["DTPlatformName"] = "iphoneos",
            ["MinimumOSVersion"] = "16.0",
            ["UIDeviceFamily"] = new PlistArray([1L, 2L]),
        };
    }

    public string AppName { get; }

    public string AppRoot => $"Payload/{AppName}.app/";

    public PlistDictionary Info { get; }

    public TestIpaBuilder WithNestedBundlesFirst()
    {
        foreach (var (path, id) in (ReadOnlySpan<(string, string)>)[
            ("Watch/DemoWatch.app/", "com.example.demo.watchkitapp"),
            ("PlugIns/Share.appex/", "com.example.demo.share"),
            ("Frameworks/Kit.framework/", "com.example.kit")])
        {
            var nested = new PlistDictionary
            {
                ["CFBundleIdentifier"] = id,
                ["CFBundleShortVersionString"] = "9.9.9",
                ["CFBundleVersion"] = "999",
                ["CFBundleDisplayName"] = "Nested",
                ["CFBundleSupportedPlatforms"] = new PlistArray(["WatchSimulator"]),
                ["CFBundleIconFiles"] = new PlistArray(["AppIcon60x60"]),
            };
            _first.Add((AppRoot + path + "Info.plist", Plist.ToBinary(nested)));
            // A nested App Store profile and a huge nested icon: both must be ignored.
            _first.Add((AppRoot + path + "embedded.mobileprovision", TestProfiles.Sign(TestProfiles.AppStore())));
            _first.Add((AppRoot + path + "AppIcon60x60@3x.png", TestPng.EncodeStandard(RgbaImage.Sample(1024, 1024))));
        }
        return this;
    }

    public TestIpaBuilder WithMacMetadata()
    {
        _first.Add(("__MACOSX/", []));
        _first.Add(($"__MACOSX/{AppRoot}", []));
        _first.Add(($"__MACOSX/Payload/Other.app/Info.plist", "junk"u8.ToArray()));
        _first.Add(($"__MACOSX/{AppRoot}._Info.plist", "AppleDouble junk"u8.ToArray()));
        _app.Add(($"{AppRoot}._Info.plist", "AppleDouble junk"u8.ToArray()));
        return this;
    }

    public TestIpaBuilder WithAppFile(string name, byte[] data)
    {
        _app.Add((AppRoot + name, data));
        return this;
    }

    public TestIpaBuilder WithEntry(string fullName, byte[] data)
    {
        _app.Add((fullName, data));
        return this;
    }

    public TestIpaBuilder WithProfile(byte[] profile) => WithAppFile("embedded.mobileprovision", profile);

    public TestIpaBuilder WithInfoPlistBytes(byte[] bytes)
    {
        _rawInfoPlist = bytes;
        return this;
    }

    /// <summary>
    /// Sets an Info.plist string in the binary plist, even one the writer refuses (a lone surrogate): such a string
    /// is written with a stand-in character whose UTF-16 code unit is then patched, as a hand-made plist would hold it.
    /// </summary>
    public TestIpaBuilder WithInfoString(string key, string value)
    {
        var lone = Enumerable.Range(0, value.Length).Where(i => char.IsSurrogate(value[i])
            && !(i + 1 < value.Length && char.IsSurrogatePair(value[i], value[i + 1]))
            && !(i > 0 && char.IsSurrogatePair(value[i - 1], value[i]))).ToArray();
        if (lone.Length == 0)
        {
            Info[key] = value;
            return this;
        }
        const char StandIn = '\uE000';
        var written = new string([.. value.Select((c, i) => lone.Contains(i) ? StandIn : c)]);
        Info[key] = written;
        var plist = Plist.ToBinary(Info);
        var encoded = Encoding.BigEndianUnicode.GetBytes(written);
        var at = plist.AsSpan().IndexOf(encoded);
        if (at < 0 || plist.AsSpan(at + 1).IndexOf(encoded) >= 0)
            throw new InvalidOperationException("The stand-in string must occur exactly once in the plist.");
        foreach (var i in lone)
            BinaryPrimitives.WriteUInt16BigEndian(plist.AsSpan(at + (2 * i)), value[i]);
        return WithInfoPlistBytes(plist);
    }

    public TestIpaBuilder WithoutInfoPlist()
    {
        _withoutInfoPlist = true;
        return this;
    }

    public byte[] Build()
    {
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in _first)
                Add(archive, name, data);
            Add(archive, "Payload/", []);
            Add(archive, AppRoot, []);
            if (!_withoutInfoPlist)
                Add(archive, AppRoot + "Info.plist", _rawInfoPlist ?? Plist.ToBinary(Info));
            Add(archive, AppRoot + "Demo", Encoding.ASCII.GetBytes("\u00cf\u00fa\u00ed\u00fe not really Mach-O"));
            Add(archive, AppRoot + "_CodeSignature/CodeResources", Plist.ToXml(new PlistDictionary { ["files"] = new PlistDictionary() }));
            foreach (var (name, data) in _app)
                Add(archive, name, data);
        }
        return zip.ToArray();
    }

    public MemoryStream BuildStream() => new(Build(), writable: false);

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        var entry = archive.CreateEntry(name, name.EndsWith('/') ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
        using var stream = entry.Open();
        stream.Write(data);
    }
}

// Lies told by hand-edited zips: the central directory and the local header are patched alike, so the archive
// still opens and only the lie remains.
internal static class ZipPatch
{
    public static void SetUncompressedSize(byte[] zip, string name, uint size) =>
        Patch(zip, name, (central, local) =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(central + 24), size);
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(local + 22), size);
        });

    public static void SetCompressionMethod(byte[] zip, string name, ushort method) =>
        Patch(zip, name, (central, local) =>
        {
            BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(central + 10), method);
            BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(local + 8), method);
        });

    public static void MarkEncrypted(byte[] zip, string name) =>
        Patch(zip, name, (central, local) =>
        {
            zip[central + 8] |= 1;
            zip[local + 6] |= 1;
        });

    // The end-of-central-directory record's entry counts (this disk and total).
    public static void SetRecordedEntryCount(byte[] zip, ushort count)
    {
        var end = zip.AsSpan().LastIndexOf("PK\u0005\u0006"u8);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(end + 8), count);
        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(end + 10), count);
    }

    private static void Patch(byte[] zip, string name, Action<int, int> patch)
    {
        var wanted = Encoding.UTF8.GetBytes(name);
        for (var at = 0; at <= zip.Length - 46; at++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)) != 0x02014b50)
                continue;
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28));
            if (!zip.AsSpan(at + 46, nameLength).SequenceEqual(wanted))
                continue;
            patch(at, (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at + 42)));
            return;
        }
        throw new InvalidOperationException($"No central-directory entry named {name}.");
    }
}
