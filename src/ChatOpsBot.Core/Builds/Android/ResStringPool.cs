using System.Text;

namespace ChatOpsBot.Core.Builds.Android;

// ResStringPool: offsets to UTF-16 or UTF-8 strings. The counts are checked against the chunk before anything is
// allocated; each string is decoded (and bounds-checked) when first asked for. An index past the count is null, as
// Android treats it; a string whose offset or length runs past the pool is malformed.
internal sealed class ResStringPool
{
    private const uint Utf8Flag = 0x100;

    private readonly ResData _data;
    private readonly int _offsets;
    private readonly int _strings;
    private readonly int _stringsEnd;
    private readonly bool _utf8;
    // Only the strings asked for are decoded and kept: a 64 MiB table's pool is not copied whole.
    private readonly Dictionary<uint, string> _decoded = [];

    private ResStringPool(ResData data, int count, int offsets, int strings, int stringsEnd, bool utf8)
    {
        _data = data;
        Count = count;
        _offsets = offsets;
        _strings = strings;
        _stringsEnd = stringsEnd;
        _utf8 = utf8;
    }

    public int Count { get; }

    public static ResStringPool Read(ResData data, ResChunk chunk)
    {
        if (chunk.HeaderSize < 28)
            throw data.Malformed($"The string pool header is {chunk.HeaderSize} bytes, less than 28", chunk.Start + 2);
        var stringCount = data.U32(chunk.Start + 8);
        var styleCount = data.U32(chunk.Start + 12);
        var flags = data.U32(chunk.Start + 16);
        var stringsStart = data.U32(chunk.Start + 20);
        var stylesStart = data.U32(chunk.Start + 24);
        // Counts first, as 64-bit arithmetic: nothing is allocated for a count the chunk cannot hold.
        if (chunk.HeaderSize + 4L * stringCount + 4L * styleCount > chunk.Size)
            throw data.Malformed($"The string pool declares {stringCount} strings and {styleCount} styles, more offsets than its {chunk.Size} bytes hold", chunk.Start + 8);
        var stringsEnd = chunk.Size;
        if (stringCount > 0)
        {
            if (stringsStart >= (uint)chunk.Size || stringsStart < chunk.HeaderSize + 4L * (stringCount + styleCount))
                throw data.Malformed($"The string pool's strings start at {stringsStart}, outside its {chunk.Size} bytes or inside its offsets", chunk.Start + 20);
            if (styleCount > 0)
            {
                if (stylesStart <= stringsStart || stylesStart > (uint)chunk.Size)
                    throw data.Malformed($"The string pool's styles start at {stylesStart}, not between its strings ({stringsStart}) and its end", chunk.Start + 24);
                stringsEnd = (int)stylesStart;
            }
        }
        return new ResStringPool(data, (int)stringCount, chunk.Body, chunk.Start + (int)stringsStart, chunk.Start + stringsEnd, (flags & Utf8Flag) != 0);
    }

    public string? Get(uint index)
    {
        if (index >= (uint)Count)
            return null;
        if (!_decoded.TryGetValue(index, out var value))
            _decoded[index] = value = Decode(index);
        return value;
    }

    private string Decode(uint index)
    {
        var offsetAt = _offsets + 4 * (int)index;
        var offset = _data.U32(offsetAt);
        if (offset >= (uint)(_stringsEnd - _strings))
            throw _data.Malformed($"String {index} starts at {offset}, past the pool's {_stringsEnd - _strings} bytes of strings", offsetAt);
        var at = _strings + (int)offset;
        if (_utf8)
        {
            at = SkipLength8(at); // the length in UTF-16 units, which the bytes already give
            var (bytes, next) = Length8(at);
            if (bytes > _stringsEnd - next)
                throw _data.Malformed($"String {index} declares {bytes} bytes, past the end of the pool", at);
            return Encoding.UTF8.GetString(_data.Bytes, next, bytes);
        }
        var (units, start) = Length16(at);
        if (units > (_stringsEnd - start) / 2)
            throw _data.Malformed($"String {index} declares {units} UTF-16 units, past the end of the pool", at);
        return Encoding.Unicode.GetString(_data.Bytes, start, units * 2);
    }

    private int SkipLength8(int at) => Length8(at).Next;

    private (int Length, int Next) Length8(int at)
    {
        RequireInPool(at, 1);
        int first = _data.U8(at);
        if ((first & 0x80) == 0)
            return (first, at + 1);
        RequireInPool(at, 2);
        return (((first & 0x7F) << 8) | _data.U8(at + 1), at + 2);
    }

    private (int Length, int Next) Length16(int at)
    {
        RequireInPool(at, 2);
        int first = _data.U16(at);
        if ((first & 0x8000) == 0)
            return (first, at + 2);
        RequireInPool(at, 4);
        return (((first & 0x7FFF) << 16) | _data.U16(at + 2), at + 4);
    }

    private void RequireInPool(int at, int count)
    {
        if (at > _stringsEnd - count)
            throw _data.Malformed("A string's length runs past the end of the pool", at);
    }
}
