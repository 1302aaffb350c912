using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

namespace ChatOpsBot.Core.Tests.Builds;

// RGBA test pictures and encoders for them, written independently of the product code.
internal sealed record RgbaImage(int Width, int Height, byte[] Pixels)
{
    // Opaque on the left, semi-transparent (alpha 128-254) top right, fully transparent or alpha 200 bottom right,
    // with gradients everywhere so every row filter sees real data.
    public static RgbaImage Sample(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * 4;
                pixels[i] = (byte)(x * 255 / Math.Max(1, width - 1));
                pixels[i + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                pixels[i + 2] = (byte)((x * 7) ^ (y * 13));
                pixels[i + 3] = x < width / 2 ? (byte)255
                    : y < height / 2 ? (byte)(128 + (x + y) % 127)
                    : (x + y) % 3 == 0 ? (byte)0 : (byte)200;
            }
        }
        return new(width, height, pixels);
    }
}

internal static class TestPng
{
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    // What Xcode's pngcrush -iphone writes: CgBI before IHDR, iDOT, premultiplied BGRA, raw deflate split over
    // several IDAT chunks. Rows cycle through all five filters so un-filtering is exercised for each.
    public static byte[] EncodeCrushed(RgbaImage image, bool interlaced = false, int idatChunks = 3)
    {
        var crushed = new byte[image.Pixels.Length];
        for (var i = 0; i < crushed.Length; i += 4)
        {
            int r = image.Pixels[i], g = image.Pixels[i + 1], b = image.Pixels[i + 2], a = image.Pixels[i + 3];
            crushed[i] = Premultiply(b, a);
            crushed[i + 1] = Premultiply(g, a);
            crushed[i + 2] = Premultiply(r, a);
            crushed[i + 3] = (byte)a;
        }
        var raw = FilterImage(image.Width, image.Height, crushed, interlaced, cycleFilters: true);
        var deflated = new MemoryStream();
        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(raw);
        var payload = deflated.ToArray();

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "CgBI", [0x50, 0x00, 0x20, 0x06]);
        WriteChunk(png, "IHDR", Ihdr(image, interlaced));
        var idot = new byte[28];
        BinaryPrimitives.WriteUInt32BigEndian(idot, 2);
        WriteChunk(png, "iDOT", idot);
        var size = (payload.Length + idatChunks - 1) / idatChunks;
        for (var at = 0; at < payload.Length; at += size)
            WriteChunk(png, "IDAT", payload.AsSpan(at, Math.Min(size, payload.Length - at)));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    public static byte[] EncodeStandard(RgbaImage image)
    {
        var raw = FilterImage(image.Width, image.Height, image.Pixels, interlaced: false, cycleFilters: false);
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(raw);
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", Ihdr(image, false));
        WriteChunk(png, "tEXt", "Comment\0kept as is"u8);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    public static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        png.Write(header);
        png.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(header.AsSpan(4), data));
        png.Write(crc);
    }

    // Apple's premultiplication rounds to nearest.
    public static byte Premultiply(int c, int a) => (byte)((c * a + 127) / 255);

    private static byte[] Ihdr(RgbaImage image, bool interlaced)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;
        ihdr[9] = 6;
        ihdr[12] = interlaced ? (byte)1 : (byte)0;
        return ihdr;
    }

    private static byte[] FilterImage(int width, int height, byte[] pixels, bool interlaced, bool cycleFilters)
    {
        var output = new MemoryStream();
        var passes = interlaced ? Adam7 : [(0, 0, 1, 1)];
        var rowIndex = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = (width - x0 + dx - 1) / dx, ph = (height - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0)
                continue;
            var prior = new byte[pw * 4];
            for (var j = 0; j < ph; j++)
            {
                var row = new byte[pw * 4];
                for (var i = 0; i < pw; i++)
                    Array.Copy(pixels, ((y0 + j * dy) * width + x0 + i * dx) * 4, row, i * 4, 4);
                var filter = cycleFilters ? (byte)(rowIndex++ % 5) : (byte)0;
                output.WriteByte(filter);
                for (var k = 0; k < row.Length; k++)
                {
                    int a = k >= 4 ? row[k - 4] : 0, b = prior[k], c = k >= 4 ? prior[k - 4] : 0;
                    var predicted = filter switch { 1 => a, 2 => b, 3 => (a + b) / 2, 4 => Paeth(a, b, c), _ => 0 };
                    output.WriteByte((byte)(row[k] - predicted));
                }
                prior = row;
            }
        }
        return output.ToArray();
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    // Bitwise CRC-32, deliberately not table-driven like the product's.
    private static uint Crc(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in (byte[])[.. type, .. data])
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}

internal sealed record DecodedPng(int Width, int Height, bool Interlaced, string[] Chunks, string ZlibHeader, byte[] Pixels);

// Decodes with Python's zlib and a decoder written apart from ours, so a shared misunderstanding cannot hide.
internal static class PythonPng
{
    public static DecodedPng Decode(ReadOnlySpan<byte> png)
    {
        var file = Path.Combine(Path.GetTempPath(), $"chatopsbot-icon-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(file, png);
        try
        {
            var script = Path.Combine(AppContext.BaseDirectory, "Builds", "png_decode.py");
            using var process = Process.Start(new ProcessStartInfo("python3", [script, file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"python3 png_decode.py failed: {stderr}");
            using var json = JsonDocument.Parse(stdout.Result);
            var root = json.RootElement;
            return new(
                root.GetProperty("width").GetInt32(),
                root.GetProperty("height").GetInt32(),
                root.GetProperty("interlaced").GetBoolean(),
                [.. root.GetProperty("chunks").EnumerateArray().Select(c => c.GetString()!)],
                root.GetProperty("zlibHeader").GetString()!,
                Convert.FromHexString(root.GetProperty("pixels").GetString()!));
        }
        finally
        {
            File.Delete(file);
        }
    }

    // Opaque pixels must match exactly; premultiplication loses at most one step for alpha >= 128; fully
    // transparent pixels keep only their alpha (their colour was multiplied by zero).
    public static void AssertSamePixels(RgbaImage expected, DecodedPng actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (var i = 0; i < expected.Pixels.Length; i += 4)
        {
            var a = expected.Pixels[i + 3];
            Assert.Equal(a, actual.Pixels[i + 3]);
            if (a == 0)
                continue;
            var tolerance = a == 255 ? 0 : 1;
            for (var c = 0; c < 3; c++)
            {
                var difference = Math.Abs(expected.Pixels[i + c] - actual.Pixels[i + c]);
                Assert.True(difference <= tolerance,
                    $"pixel {i / 4} ({i / 4 % expected.Width},{i / 4 / expected.Width}) channel {c}: expected {expected.Pixels[i + c]}, got {actual.Pixels[i + c]} with alpha {a}");
            }
        }
    }
}
