namespace ChatOpsBot.Core.Builds;

// The five PNG row filters (PNG spec section 9). "prior" is the previous row of the same pass, zeros for the first.
internal static class RowFilters
{
    public static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        for (var i = 0; i < row.Length; i++)
        {
            int left = i >= bpp ? row[i - bpp] : 0, up = prior[i], upLeft = i >= bpp ? prior[i - bpp] : 0;
            row[i] = (byte)(row[i] + Predict(filter, left, up, upLeft));
        }
    }

    // libpng's heuristic: the filter whose output has the smallest sum of absolute (signed) bytes compresses best.
    public static byte ChooseAndApply(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        Span<byte> candidate = row.Length <= 4096 ? stackalloc byte[row.Length] : new byte[row.Length];
        byte best = 0;
        var bestScore = long.MaxValue;
        for (byte filter = 0; filter <= 4; filter++)
        {
            long score = 0;
            for (var i = 0; i < row.Length; i++)
            {
                int left = i >= bpp ? row[i - bpp] : 0, up = prior[i], upLeft = i >= bpp ? prior[i - bpp] : 0;
                candidate[i] = (byte)(row[i] - Predict(filter, left, up, upLeft));
                score += Math.Abs((int)(sbyte)candidate[i]);
            }
            if (score < bestScore)
            {
                bestScore = score;
                best = filter;
                candidate.CopyTo(output);
            }
        }
        return best;
    }

    private static int Predict(byte filter, int left, int up, int upLeft) => filter switch
    {
        1 => left,
        2 => up,
        3 => (left + up) >> 1,
        4 => Paeth(left, up, upLeft),
        _ => 0,
    };

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
