using System.IO.Compression;

namespace ChatOpsBot.Core.Builds;

// Turns Apple's "crushed" PNGs (formats.md 5.4) into standard ones; standard PNGs pass through byte for byte.
internal static class CgbiPng
{
    // (x0, y0, dx, dy) of the seven Adam7 passes.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    // Null when the file is not a PNG we can vouch for; callers treat that as "no icon".
    public static byte[]? TryNormalize(ReadOnlyMemory<byte> file, out PngHeader header)
    {
        header = default;
        var chunks = Png.TryReadChunks(file);
        if (chunks is null || chunks.Count < 3)
            return null;
        var crushed = chunks[0].Type == PngChunk.Cgbi;
        var ihdrIndex = crushed ? 1 : 0;
        if (chunks[ihdrIndex].Type != PngChunk.Ihdr || !PngHeader.TryParse(chunks[ihdrIndex].Data.Span, crushed, out header))
            return null;

        var before = new List<PngChunk>();
        var after = new List<PngChunk>();
        var idat = new MemoryStream();
        var idatState = 0; // 0 none yet, 1 inside the run, 2 after it
        for (var i = ihdrIndex + 1; i < chunks.Count - 1; i++)
        {
            var chunk = chunks[i];
            if (chunk.Type is PngChunk.Ihdr or PngChunk.Cgbi or PngChunk.Iend)
                return null;
            if (chunk.Type == PngChunk.Idat)
            {
                // PNG requires consecutive IDATs; a split run means a damaged or hostile file.
                if (idatState == 2)
                    return null;
                idatState = 1;
                idat.Write(chunk.Data.Span);
                continue;
            }
            if (idatState == 1)
                idatState = 2;
            // iDOT holds Apple's parallel-decoding offsets into the old IDAT layout; they would be wrong afterwards.
            if (chunk.Type == PngChunk.Idot)
                continue;
            (idatState == 0 ? before : after).Add(chunk);
        }
        if (idatState == 0)
            return null;
        if (!crushed)
            return file.ToArray();

        var raw = InflateExactly(idat.GetBuffer().AsMemory(0, (int)idat.Length), ExpectedRawLength(header));
        if (raw is null)
            return null;
        if (header is { BitDepth: 8, ColorType: 6 or 2 } && !RestorePixels(raw, header))
            return null;
        return Write(chunks[ihdrIndex].Data.Span, before, after, raw);
    }

    private static IEnumerable<(int Width, int Height)> Passes(PngHeader header)
    {
        if (!header.Interlaced)
        {
            yield return (header.Width, header.Height);
            yield break;
        }
        foreach (var (x0, y0, dx, dy) in Adam7)
        {
            var width = (header.Width - x0 + dx - 1) / dx;
            var height = (header.Height - y0 + dy - 1) / dy;
            // An empty pass contributes no bytes at all, not even filter bytes.
            if (width > 0 && height > 0)
                yield return (width, height);
        }
    }

    private static int RowBytes(PngHeader header, int width) => (width * header.BitsPerPixel + 7) / 8;

    private static int ExpectedRawLength(PngHeader header) =>
        Passes(header).Sum(p => p.Height * (1 + RowBytes(header, p.Width)));

    // CgBI IDATs are raw deflate (no zlib header, no Adler-32). Anything but the exact size is refused, so a
    // small file cannot inflate into a large allocation.
    private static byte[]? InflateExactly(ReadOnlyMemory<byte> compressed, int expected)
    {
        var output = new byte[expected];
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(compressed.ToArray(), writable: false), CompressionMode.Decompress);
            var filled = 0;
            int read;
            while (filled < expected && (read = inflater.Read(output, filled, expected - filled)) > 0)
                filled += read;
            Span<byte> probe = stackalloc byte[1];
            return filled == expected && inflater.Read(probe) == 0 ? output : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    // Un-filter first: un-premultiplying does not commute with the row filters (the BGR swap alone would).
    private static bool RestorePixels(byte[] raw, PngHeader header)
    {
        var bpp = header.Channels;
        var offset = 0;
        foreach (var (width, height) in Passes(header))
        {
            var rowBytes = width * bpp;
            // Un-filtering needs the previous row as stored (crushed); re-filtering needs it as converted.
            var priorCrushed = new byte[rowBytes];
            var priorConverted = new byte[rowBytes];
            var current = new byte[rowBytes];
            var filtered = new byte[rowBytes];
            for (var y = 0; y < height; y++, offset += 1 + rowBytes)
            {
                var filter = raw[offset];
                if (filter > 4)
                    return false;
                raw.AsSpan(offset + 1, rowBytes).CopyTo(current);
                RowFilters.Unfilter(filter, current, priorCrushed, bpp);
                current.CopyTo(priorCrushed, 0);
                ConvertPixels(current, bpp);
                raw[offset] = RowFilters.ChooseAndApply(current, priorConverted, bpp, filtered);
                filtered.CopyTo(raw, offset + 1);
                (priorConverted, current) = (current, priorConverted);
            }
        }
        return true;
    }

    // BGR(A) to RGB(A), then undo premultiplication with pngdefry's rounding; a == 0 and a == 255 stay as they are.
    private static void ConvertPixels(Span<byte> row, int bpp)
    {
        for (var i = 0; i + bpp <= row.Length; i += bpp)
        {
            (row[i], row[i + 2]) = (row[i + 2], row[i]);
            if (bpp != 4)
                continue;
            int a = row[i + 3];
            if (a is 0 or 255)
                continue;
            for (var c = 0; c < 3; c++)
                row[i + c] = (byte)Math.Min(255, (row[i + c] * 255 + a / 2) / a);
        }
    }

    private static byte[] Write(ReadOnlySpan<byte> ihdr, List<PngChunk> before, List<PngChunk> after, byte[] raw)
    {
        var output = new MemoryStream();
        output.Write(Png.Signature);
        Png.WriteChunk(output, PngChunk.Ihdr, ihdr);
        foreach (var chunk in before)
            Png.WriteChunk(output, chunk.Type, chunk.Data.Span);
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(raw);
        Png.WriteChunk(output, PngChunk.Idat, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        foreach (var chunk in after)
            Png.WriteChunk(output, chunk.Type, chunk.Data.Span);
        Png.WriteChunk(output, PngChunk.Iend, []);
        return output.ToArray();
    }
}
