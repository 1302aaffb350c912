using System.Buffers.Binary;
using System.IO.Compression;
using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Core.Tests.Builds;

public sealed class CgbiPngTests
{
    private static byte[] Normalize(byte[] file)
    {
        var png = CgbiPng.TryNormalize(file, out _);
        Assert.NotNull(png);
        return png;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(60, 60)]
    [InlineData(120, 120)]
    public void CrushedIconDecodesToTheOriginalPixels(int width, int height)
    {
        var image = RgbaImage.Sample(width, height);

        var png = CgbiPng.TryNormalize(TestPng.EncodeCrushed(image), out var header);

        Assert.NotNull(png);
        Assert.Equal((width, height, true), (header.Width, header.Height, header.IsCrushed));
        PythonPng.AssertSamePixels(image, PythonPng.Decode(png));
    }

    [Fact]
    public void CgbiAndIdotChunksAreDroppedAndOtherAncillaryChunksKept()
    {
        var crushed = TestPng.EncodeCrushed(RgbaImage.Sample(16, 16));
        var withText = new MemoryStream();
        var firstIdat = crushed.AsSpan().IndexOf("IDAT"u8) - 4;
        withText.Write(crushed.AsSpan(0, firstIdat));
        TestPng.WriteChunk(withText, "sRGB", [0]);
        withText.Write(crushed.AsSpan(firstIdat, crushed.Length - firstIdat - 12));
        TestPng.WriteChunk(withText, "tEXt", "Software\0Xcode"u8);
        TestPng.WriteChunk(withText, "IEND", []);

        var decoded = PythonPng.Decode(Normalize(withText.ToArray()));

        Assert.Equal(["IHDR", "sRGB", "IDAT", "tEXt", "IEND"], decoded.Chunks);
    }

    [Fact]
    public void OpaqueRgbCrushedImageOnlySwapsChannels()
    {
        // Colour type 2: 3 bytes per pixel, stored BGR, no alpha to un-premultiply.
        var raw = new MemoryStream();
        byte[][] rows = [[10, 20, 30, 40, 50, 60], [70, 80, 90, 100, 110, 120]];
        foreach (var row in rows)
        {
            raw.WriteByte(0);
            raw.Write(row);
        }
        var file = CrushedFile(2, 2, 2, raw.ToArray());

        var decoded = PythonPng.Decode(Normalize(file));

        Assert.Equal([30, 20, 10, 255, 60, 50, 40, 255, 90, 80, 70, 255, 120, 110, 100, 255], decoded.Pixels);
    }

    [Fact]
    public void UnPremultiplyUsesPngdefryRounding()
    {
        // One BGRA pixel, premultiplied by alpha 128: (c * 255 + 64) / 128.
        var file = CrushedFile(1, 1, 6, [0, 10, 64, 128, 128]);

        var decoded = PythonPng.Decode(Normalize(file));

        Assert.Equal([255, 128, 20, 128], decoded.Pixels);
    }

    [Fact]
    public void RawDeflateOfTheWrongLengthIsRefused()
    {
        Assert.Null(CgbiPng.TryNormalize(CrushedFile(2, 2, 6, new byte[2 * (1 + 8) - 1]), out _));
        Assert.Null(CgbiPng.TryNormalize(CrushedFile(2, 2, 6, new byte[2 * (1 + 8) + 1]), out _));
    }

    [Fact]
    public void SmallFileThatInflatesFarPastItsImageSizeIsRefused()
    {
        Assert.Null(CgbiPng.TryNormalize(CrushedFile(1, 1, 6, new byte[50_000_000]), out _));
    }

    [Fact]
    public void UnknownRowFilterIsRefused()
    {
        Assert.Null(CgbiPng.TryNormalize(CrushedFile(1, 1, 6, [5, 1, 2, 3, 255]), out _));
    }

    [Fact]
    public void ZlibWrappedDataInACrushedFileIsRefused()
    {
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(new byte[] { 0, 1, 2, 3, 255 });

        Assert.Null(CgbiPng.TryNormalize(ChunksFile(true, 1, 1, 6, compressed.ToArray()), out _));
    }

    [Fact]
    public void BadChunkCrcIsRefused()
    {
        var file = TestPng.EncodeCrushed(RgbaImage.Sample(8, 8));
        file[^13] ^= 1; // the last IDAT's CRC

        Assert.Null(CgbiPng.TryNormalize(file, out _));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, 0)]
    [InlineData(4096, 10)]
    public void ImpossibleOrHugeDimensionsAreRefused(int width, int height)
    {
        Assert.Null(CgbiPng.TryNormalize(CrushedFile(width, height, 6, [0]), out _));
    }

    [Fact]
    public void MissingIendIsRefused()
    {
        var file = TestPng.EncodeCrushed(RgbaImage.Sample(8, 8));

        Assert.Null(CgbiPng.TryNormalize(file.AsMemory(..^12), out _));
    }

    [Fact]
    public void HeaderProbeReadsTheSizeOfCrushedAndStandardFiles()
    {
        var crushed = TestPng.EncodeCrushed(RgbaImage.Sample(30, 20));
        var standard = TestPng.EncodeStandard(RgbaImage.Sample(30, 20));

        Assert.True(Png.TryReadHeader(crushed.AsSpan(0, Png.HeaderProbeLength), out var a));
        Assert.True(Png.TryReadHeader(standard.AsSpan(0, Png.HeaderProbeLength), out var b));
        Assert.Equal((30, 20, true), (a.Width, a.Height, a.IsCrushed));
        Assert.Equal((30, 20, false), (b.Width, b.Height, b.IsCrushed));
        Assert.False(Png.TryReadHeader("GIF89a"u8, out _));
    }

    [Fact]
    public void DamagedCrushedFilesWithValidCrcsAreConvertedOrRefusedButNeverThrow()
    {
        var random = new Random(42);
        var refused = 0;
        for (var run = 0; run < 1500; run++)
        {
            var file = TestPng.EncodeCrushed(RgbaImage.Sample(random.Next(1, 24), random.Next(1, 24)), interlaced: random.Next(2) == 0);
            // Damage after the signature and the CgBI chunk (IHDR fields included), then make every CRC valid again
            // so the damage reaches the inflater, the filters and the pixel code.
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                file[random.Next(24, file.Length - 12)] = (byte)random.Next(256);
            RepairCrcs(file);

            if (CgbiPng.TryNormalize(file, out _) is null)
                refused++;
        }
        Assert.InRange(refused, 1, 1499);
    }

    private static void RepairCrcs(byte[] png)
    {
        for (var at = 8; at + 12 <= png.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            if (length < 0 || at + 12 + length > png.Length)
                return;
            var chunk = new MemoryStream();
            TestPng.WriteChunk(chunk, System.Text.Encoding.Latin1.GetString(png, at + 4, 4), png.AsSpan(at + 8, length));
            chunk.ToArray().CopyTo(png, at);
            at += 12 + length;
        }
    }

    private static byte[] CrushedFile(int width, int height, byte colourType, byte[] raw)
    {
        var deflated = new MemoryStream();
        using (var deflate = new DeflateStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(raw);
        return ChunksFile(true, width, height, colourType, deflated.ToArray());
    }

    private static byte[] ChunksFile(bool crushed, int width, int height, byte colourType, byte[] idat)
    {
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        if (crushed)
            TestPng.WriteChunk(png, "CgBI", [0x50, 0x00, 0x20, 0x02]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colourType;
        TestPng.WriteChunk(png, "IHDR", ihdr);
        TestPng.WriteChunk(png, "IDAT", idat);
        TestPng.WriteChunk(png, "IEND", []);
        return png.ToArray();
    }
}
