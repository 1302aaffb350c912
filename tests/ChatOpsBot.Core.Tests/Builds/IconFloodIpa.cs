using System.IO.Compression;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

/// <summary>
/// An IPA built to make icon lookup expensive: an Info.plist naming tens of thousands of icons and an app root holding
/// a tiny PNG for each name and more, beside one real icon that the plist names first, as Xcode's would. Every
/// entry is stored (not deflated) so the 100,000-entry zip is built in well under a second. Self-contained, so the
/// benchmarks build the same bytes.
/// </summary>
internal static class IconFloodIpa
{
    public const int IconNames = 50_000, RootPngs = 100_000;

    /// <summary>The real icon's size: a 32×32 standard PNG; every other PNG is 1×1.</summary>
    public const int RealIconWidth = 32;

    private static readonly byte[] TinyPng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg==");

    public static readonly byte[] RealIcon = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAK0lEQVR42u3OoQEAAAwCIE/f5+4MC4FOcu2UgICAgICAgICAgICAgIDAOvBNk/iIlQmc1wAAAABJRU5ErkJggg==");

    public static PlistDictionary Info(int iconNames = IconNames)
    {
        var junk = new PlistArray();
        for (var i = 0; i < iconNames; i++)
            junk.Add(Name(i));
        return new PlistDictionary
        {
            ["CFBundleIdentifier"] = "com.example.flood",
            ["CFBundleShortVersionString"] = "1.0",
            ["CFBundleVersion"] = "1",
            ["CFBundleDisplayName"] = "Flood",
            ["CFBundleSupportedPlatforms"] = new PlistArray(["iPhoneOS"]),
            ["CFBundleIcons"] = new PlistDictionary
            {
                ["CFBundlePrimaryIcon"] = new PlistDictionary { ["CFBundleIconFiles"] = new PlistArray(["AppIcon60x60"]) },
            },
            ["CFBundleIconFiles"] = junk,
        };
    }

    public static byte[] Build(int iconNames = IconNames, int rootPngs = RootPngs)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "Payload/Flood.app/Info.plist", Plist.ToBinary(Info(iconNames)));
            Add(archive, "Payload/Flood.app/AppIcon60x60@2x.png", RealIcon);
            for (var i = 0; i < rootPngs; i++)
                Add(archive, $"Payload/Flood.app/{Name(i)}.png", TinyPng);
        }
        return zip.ToArray();
    }

    // Short names keep the 50,000-name Info.plist under the inspector's 1 MB cap.
    private static string Name(int i) => "j" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(data);
    }
}
