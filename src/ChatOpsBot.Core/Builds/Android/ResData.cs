using System.Buffers.Binary;

namespace ChatOpsBot.Core.Builds.Android;

// One zip entry's bytes, read little-endian with every access bounded; a read past the end is an ApkFormatException
// naming the entry and the offset.
internal readonly struct ResData(byte[] bytes, string entry)
{
    public byte[] Bytes { get; } = bytes;

    public string Entry { get; } = entry;

    public int Length => Bytes.Length;

    public byte U8(long at)
    {
        Require(at, 1);
        return Bytes[at];
    }

    public ushort U16(long at)
    {
        Require(at, 2);
        return BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan((int)at));
    }

    public uint U32(long at)
    {
        Require(at, 4);
        return BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan((int)at));
    }

    public void Require(long at, long count)
    {
        if (at < 0 || count < 0 || at > Bytes.Length - count)
            throw Malformed($"A structure of {count} bytes runs past the end of the data ({Bytes.Length} bytes)", Math.Clamp(at, 0, Bytes.Length));
    }

    public ApkFormatException Malformed(string detail, long at) => new(ApkRejectionReason.Malformed, detail, Math.Clamp(at, 0, Bytes.Length), Entry);
}

// A chunk header (ResChunk_header): type, header size and total size, checked to lie within its parent.
internal readonly record struct ResChunk(int Start, ushort Type, int HeaderSize, int Size)
{
    public int End => Start + Size;

    public int Body => Start + HeaderSize;

    public static ResChunk Read(ResData data, int at, int parentEnd, int minimumHeader = 8)
    {
        if (at > parentEnd - 8)
            throw data.Malformed("A chunk header is truncated", at);
        var type = data.U16(at);
        int headerSize = data.U16(at + 2);
        var size = data.U32(at + 4);
        if (headerSize < minimumHeader)
            throw data.Malformed($"Chunk 0x{type:x4} declares a header of {headerSize} bytes, less than the {minimumHeader} it needs", at + 2);
        if (size < (uint)headerSize || size > (uint)(parentEnd - at))
            throw data.Malformed($"Chunk 0x{type:x4} declares {size} bytes, but only {parentEnd - at} remain in its parent", at + 4);
        return new ResChunk(at, type, headerSize, (int)size);
    }
}

// Res_value: a typed 32-bit datum. Strings index a pool (the document's own in binary XML, the global one in a table).
internal readonly record struct ResValue(byte Type, uint Data)
{
    public const byte Null = 0x00, Reference = 0x01, Attribute = 0x02, String = 0x03, Float = 0x04, Dimension = 0x05,
        Fraction = 0x06, DynamicReference = 0x07, IntDec = 0x10, IntHex = 0x11, IntBoolean = 0x12, FirstColor = 0x1c, LastColor = 0x1f;

    public bool IsReference => Type is Reference or DynamicReference && Data != 0;

    public bool IsInteger => Type is IntDec or IntHex or IntBoolean;

    public bool IsColor => Type is >= FirstColor and <= LastColor;
}
