using System.Buffers.Binary;

namespace ChatOpsBot.Core.Builds;

internal readonly record struct PngChunk(uint Type, ReadOnlyMemory<byte> Data)
{
    public const uint Ihdr = 0x49484452, Idat = 0x49444154, Iend = 0x49454E44, Cgbi = 0x43674249, Idot = 0x69444F54;
}

internal readonly record struct PngHeader(int Width, int Height, byte BitDepth, byte ColorType, bool Interlaced, bool IsCrushed)
{
    public const int Length = 13;

    // Icons are at most 1024 px; the cap keeps a decoded CgBI icon under 16 MiB.
    public const int MaxDimension = 2048;

    public int Channels => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };

    public int BitsPerPixel => BitDepth * Channels;

    public static bool TryParse(ReadOnlySpan<byte> ihdr, bool isCrushed, out PngHeader header)
    {
        header = default;
        if (ihdr.Length != Length)
            return false;
        var width = BinaryPrimitives.ReadUInt32BigEndian(ihdr);
        var height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        byte depth = ihdr[8], colorType = ihdr[9], compression = ihdr[10], filter = ihdr[11], interlace = ihdr[12];
        if (width is 0 or > MaxDimension || height is 0 or > MaxDimension || compression != 0 || filter != 0 || interlace > 1)
            return false;
        var validDepth = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        header = new((int)width, (int)height, depth, colorType, interlace == 1, isCrushed);
        return validDepth;
    }
}

internal static class Png
{
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Enough to hold the signature, an optional CgBI chunk and IHDR: what icon ranking needs.
    public const int HeaderProbeLength = 8 + (12 + 4) + (12 + PngHeader.Length);

    private const int MaxChunks = 10_000;

    // Ranks icon candidates from their first bytes only, without inflating anything.
    public static bool TryReadHeader(ReadOnlySpan<byte> start, out PngHeader header)
    {
        header = default;
        if (!start.StartsWith(Signature))
            return false;
        var at = Signature.Length;
        var crushed = false;
        if (start.Length >= at + 8 && BinaryPrimitives.ReadUInt32BigEndian(start[(at + 4)..]) == PngChunk.Cgbi)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(start[at..]) != 4)
                return false;
            crushed = true;
            at += 12 + 4;
        }
        if (start.Length < at + 8 + PngHeader.Length
            || BinaryPrimitives.ReadUInt32BigEndian(start[at..]) != PngHeader.Length
            || BinaryPrimitives.ReadUInt32BigEndian(start[(at + 4)..]) != PngChunk.Ihdr)
            return false;
        return PngHeader.TryParse(start.Slice(at + 8, PngHeader.Length), crushed, out header);
    }

    // Walks every chunk, checking lengths and CRCs, so nothing corrupt is passed on to iOS or a browser.
    public static List<PngChunk>? TryReadChunks(ReadOnlyMemory<byte> file)
    {
        var span = file.Span;
        if (!span.StartsWith(Signature))
            return null;
        var chunks = new List<PngChunk>();
        var at = Signature.Length;
        while (chunks.Count < MaxChunks)
        {
            if (span.Length - at < 12)
                return null;
            var length = BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
            if (length > (uint)(span.Length - at - 12))
                return null;
            var typeAndData = span.Slice(at + 4, 4 + (int)length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(span[(at + 8 + (int)length)..]);
            if (Crc32.Compute(typeAndData) != crc)
                return null;
            var chunk = new PngChunk(BinaryPrimitives.ReadUInt32BigEndian(typeAndData), file.Slice(at + 8, (int)length));
            chunks.Add(chunk);
            at += 12 + (int)length;
            if (chunk.Type == PngChunk.Iend)
                return chunks;
        }
        return null;
    }

    public static void WriteChunk(Stream output, uint type, ReadOnlySpan<byte> data)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(field, (uint)data.Length);
        output.Write(field);
        BinaryPrimitives.WriteUInt32BigEndian(field, type);
        output.Write(field);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, Crc32.Compute(field, data));
        output.Write(field);
    }
}

// System.IO.Hashing is a NuGet package, not part of the shared framework; PNG needs only this much of it.
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Compute(data, []);

    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in first)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        foreach (var b in second)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
