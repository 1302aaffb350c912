using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Links;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Features.Web;

/// <summary>What "Add a sample build" came to: the build (new, or the one added before) and a link to install it.</summary>
internal sealed record SampleBuildOutcome(long? BuildId, bool AlreadyThere, MintedLink? Link, string? Problem);

/// <summary>
/// "Add a sample build" on the set-up page: a small, valid IPA made here (app <c>sample</c>, channel <c>beta</c>, a
/// 120×120 icon), uploaded through <see cref="BuildIngest"/> exactly as the API's uploads are, so the install page,
/// the manifest and the console have something to show before CI uploads anything.
/// </summary>
internal sealed class SampleBuild(BuildIngest ingest, InstallLinks links)
{
    public const string App = "sample";
    public const string Channel = "beta";
    public const string BundleId = "com.chatopsbot.sample";

    private const string AppRoot = "Payload/Sample.app/";

    /// <summary>Fixed, so the sample is the same file every time and adding it twice finds the first one.</summary>
    private static readonly DateTimeOffset Stamp = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<SampleBuildOutcome> AddAsync(ConsoleIdentity person, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(App), "app" },
            { new StringContent(Channel), "channel" },
            { new StringContent("The sample build ChatOpsBot's set-up page adds: install it to see how installing works."), "notes" },
            { new ByteArrayContent(Ipa()) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, "file", "Sample.ipa" },
        };
        // The upload the API would receive, read by the same code.
        var http = new DefaultHttpContext();
        http.Request.ContentType = form.Headers.ContentType!.ToString();
        using var body = new MemoryStream();
        await form.CopyToAsync(body, cancellationToken);
        body.Position = 0;
        http.Request.Body = body;
        var outcome = await ingest.IngestAsync(http.Request, person.Id, long.MaxValue, mayAnnounce: false, cancellationToken);

        long buildId;
        var already = false;
        if (outcome.Build is { } build)
            buildId = build.Id;
        else if (outcome.Extensions?.TryGetValue("buildId", out var existing) == true && existing is long id)
            (buildId, already) = (id, true);
        else
            return new SampleBuildOutcome(null, false, null, $"{outcome.Title}: {outcome.Detail}");

        var minted = await links.MintAsync(buildId, new Requester(person.Platform, person.Workspace, person.UserId, person.Name), null, cancellationToken);
        return new SampleBuildOutcome(buildId, already, minted.Minted, minted.Reason);
    }

    /// <summary>The sample IPA: a binary Info.plist as Xcode writes it, an icon, an executable stub and a code signature's place.</summary>
    internal static byte[] Ipa()
    {
        var info = new PlistDictionary
        {
            ["CFBundleDevelopmentRegion"] = "en",
            ["CFBundleDisplayName"] = "Sample",
            ["CFBundleExecutable"] = "Sample",
            ["CFBundleIcons"] = new PlistDictionary
            {
                ["CFBundlePrimaryIcon"] = new PlistDictionary
                {
                    ["CFBundleIconFiles"] = new PlistArray(["AppIcon60x60"]),
                    ["CFBundleIconName"] = "AppIcon",
                },
            },
            ["CFBundleIdentifier"] = BundleId,
            ["CFBundleName"] = "Sample",
            ["CFBundlePackageType"] = "APPL",
            ["CFBundleShortVersionString"] = "1.0",
            ["CFBundleVersion"] = "1",
            ["CFBundleSupportedPlatforms"] = new PlistArray(["iPhoneOS"]),
            ["DTPlatformName"] = "iphoneos",
            ["MinimumOSVersion"] = "16.0",
            ["UIDeviceFamily"] = new PlistArray([1L, 2L]),
        };
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "Payload/", []);
            Add(archive, AppRoot, []);
            Add(archive, AppRoot + "Info.plist", Plist.ToBinary(info));
            Add(archive, AppRoot + "AppIcon60x60@2x.png", Icon(120));
            // A Mach-O magic number in front of a stub: the sample is for looking at, not for running.
            Add(archive, AppRoot + "Sample", [0xCF, 0xFA, 0xED, 0xFE, .. "ChatOpsBot sample build"u8]);
            Add(archive, AppRoot + "_CodeSignature/CodeResources", Plist.ToXml(new PlistDictionary { ["files"] = new PlistDictionary() }));
        }
        return zip.ToArray();
    }

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        var entry = archive.CreateEntry(name, name.EndsWith('/') ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
        entry.LastWriteTime = Stamp;
        using var stream = entry.Open();
        stream.Write(data);
    }

    /// <summary>A square RGBA PNG: a diagonal indigo-to-teal gradient with a white down arrow, ChatOpsBot's "install".</summary>
    internal static byte[] Icon(int size)
    {
        var rows = new byte[size * (1 + (size * 4))];
        for (var y = 0; y < size; y++)
        {
            var row = y * (1 + (size * 4));
            rows[row] = 0; // filter: none
            for (var x = 0; x < size; x++)
            {
                var t = (x + y) / (2.0 * (size - 1));
                var (r, g, b) = ((byte)(0x46 + ((0x1A - 0x46) * t)), (byte)(0x47 + ((0x9E - 0x47) * t)), (byte)(0x75 + ((0x9A - 0x75) * t)));
                if (InArrow(x / (double)size, y / (double)size))
                    (r, g, b) = (255, 255, 255);
                var at = row + 1 + (x * 4);
                (rows[at], rows[at + 1], rows[at + 2], rows[at + 3]) = (r, g, b, 255);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, size);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), size);
        (header[8], header[9]) = (8, 6); // 8 bits per channel, RGBA; compression, filter and interlace 0
        Chunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                zlib.Write(rows);
            Chunk(png, "IDAT", compressed.ToArray());
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A down arrow: a shaft in the upper middle and a triangle below it, in coordinates of 0 to 1.</summary>
    private static bool InArrow(double x, double y) =>
        (y is >= 0.2 and < 0.55 && Math.Abs(x - 0.5) < 0.08)
        || (y is >= 0.55 and < 0.8 && Math.Abs(x - 0.5) < (0.8 - y) * 1.1);

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32([.. typeBytes, .. data]));
        png.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
