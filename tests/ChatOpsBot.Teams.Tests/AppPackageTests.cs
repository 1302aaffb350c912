using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

namespace ChatOpsBot.Teams.Tests;

public sealed class AppPackageTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "manifests", "teams");

    /// <summary>Width, height, and the alpha of every pixel, read with the standard decoder.</summary>
    private static (int Width, int Height, byte[] Alpha, byte[] Rgba) ReadPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
        var width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        var height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.Equal(8, bytes[24]);
        Assert.Equal(6, bytes[25]); // RGBA
        using var idat = new MemoryStream();
        for (var offset = 8; offset < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            if (System.Text.Encoding.ASCII.GetString(bytes, offset + 4, 4) == "IDAT")
                idat.Write(bytes, offset + 8, length);
            offset += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
            zlib.CopyTo(inflated);
        var raw = inflated.ToArray();
        var rgba = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (width * 4 + 1)]); // the icons are written unfiltered
            Array.Copy(raw, y * (width * 4 + 1) + 1, rgba, y * width * 4, width * 4);
        }
        return (width, height, [.. rgba.Where((_, i) => i % 4 == 3)], rgba);
    }

    [Fact]
    public void ColorIconIs192SquareAndOpaque()
    {
        var (width, height, alpha, _) = ReadPng(Path.Combine(Folder, "color.png"));

        Assert.Equal((192, 192), (width, height));
        Assert.All(alpha, a => Assert.Equal(255, a));
    }

    [Fact]
    public void OutlineIconIs32SquareWhiteOnTransparent()
    {
        var (width, height, alpha, rgba) = ReadPng(Path.Combine(Folder, "outline.png"));

        Assert.Equal((32, 32), (width, height));
        Assert.Contains((byte)0, alpha);
        Assert.Contains((byte)255, alpha);
        for (var i = 0; i < rgba.Length; i += 4)
        {
            if (rgba[i + 3] != 0)
                Assert.Equal([255, 255, 255], rgba[i..(i + 3)]);
        }
    }

    [Fact]
    public async Task PackageCommandWritesAZipWithTheBotIdFilledIn()
    {
        const string botId = "6f1c2a5e-0b7d-4c1e-9a3f-5d2b8e7c4a10";
        var output = Path.Combine(Path.GetTempPath(), $"teams-package-{Guid.NewGuid():N}.zip");
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", [Path.Combine(Folder, "package.py"), botId, output])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var error = await python.StandardError.ReadToEndAsync();
            await python.WaitForExitAsync();
            Assert.True(python.ExitCode == 0, error);

            using var zip = ZipFile.OpenRead(output);
            Assert.Equal(["color.png", "manifest.json", "outline.png"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
            using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
            var root = manifest.RootElement;
            Assert.DoesNotContain("{{", root.GetRawText(), StringComparison.Ordinal);
            Assert.True(Guid.TryParse(root.GetProperty("id").GetString(), out _));
            var bot = root.GetProperty("bots")[0];
            Assert.Equal(botId, bot.GetProperty("botId").GetString());
            Assert.Equal(["personal", "team", "groupChat"], bot.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
            Assert.Equal(["install", "builds", "device", "devices", "help"], bot.GetProperty("commandLists")[0].GetProperty("commands").EnumerateArray().Select(c => c.GetProperty("title").GetString()));
            Assert.Equal("color.png", root.GetProperty("icons").GetProperty("color").GetString());
            Assert.Equal("outline.png", root.GetProperty("icons").GetProperty("outline").GetString());
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task PackageCommandRefusesABotIdThatIsNotAGuid()
    {
        using var python = Process.Start(new ProcessStartInfo("python3", [Path.Combine(Folder, "package.py"), "not-a-guid", Path.Combine(Path.GetTempPath(), "never.zip")])
        {
            RedirectStandardError = true,
        })!;
        var error = await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();

        Assert.NotEqual(0, python.ExitCode);
        Assert.Contains("GUID", error, StringComparison.Ordinal);
    }
}
