using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace ChatOpsBot.PropertyList.Binary;

/// <summary>
/// Reads <c>bplist00</c> documents with the checks of Apple's CFBinaryPList reader and CPython's plistlib: a
/// consistent trailer, every offset and reference in range, sizes checked against the bytes present before anything
/// is allocated, strict string decoding, cycle detection, a depth cap, and objects parsed once however often they
/// are referenced.
/// </summary>
internal ref struct BinaryPlistReader
{
    private const int HeaderLength = 8;
    private const int TrailerLength = 32;
    private static readonly DateTime Epoch = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly double MinSeconds = (DateTime.MinValue - Epoch).TotalSeconds;
    private static readonly double MaxSeconds = (DateTime.MaxValue - Epoch).TotalSeconds;
    private static readonly UnicodeEncoding StrictUtf16BigEndian = new(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);

    // Marks a container in _objects while its items are read, so a reference back to it is seen as a cycle. It is
    // always replaced by the finished container (or the read fails), so it never reaches a caller.
    private static readonly PlistValue InProgress = new PlistString("(container being read)");

    private readonly ReadOnlySpan<byte> _data;
    private readonly ReadOnlySpan<byte> _offsetTable;
    private readonly PlistValue?[] _objects;
    private readonly int _offsetSize;
    private readonly int _refSize;
    private readonly int _objectsEnd;
    private readonly bool _keepLoneSurrogates;
    private int _depth;

    private BinaryPlistReader(ReadOnlySpan<byte> data, int count, int offsetSize, int refSize, int objectsEnd, bool keepLoneSurrogates)
    {
        _keepLoneSurrogates = keepLoneSurrogates;
        _data = data;
        _offsetTable = data.Slice(objectsEnd, count * offsetSize);
        _objects = new PlistValue?[count];
        _offsetSize = offsetSize;
        _refSize = refSize;
        _objectsEnd = objectsEnd;
    }

    public static PlistValue Read(ReadOnlySpan<byte> data, bool keepLoneSurrogates = false)
    {
        if (data.Length < HeaderLength + 1 + 1 + TrailerLength)
            throw Fail("The binary property list is too short", 0);
        if (!data.StartsWith("bplist0"u8))
            throw Fail("Unsupported binary property-list version '" + Encoding.ASCII.GetString(data[6..8]).Replace('\0', '?') + "'; only bplist00 is read", 6);

        var trailerStart = data.Length - TrailerLength;
        var trailer = data[trailerStart..];
        int offsetSize = trailer[6];
        int refSize = trailer[7];
        var objectCount = BinaryPrimitives.ReadUInt64BigEndian(trailer[8..]);
        var topObject = BinaryPrimitives.ReadUInt64BigEndian(trailer[16..]);
        var tableOffset = BinaryPrimitives.ReadUInt64BigEndian(trailer[24..]);

        if (offsetSize is < 1 or > 8)
            throw Fail($"The trailer's offset size {offsetSize} is not between 1 and 8", trailerStart + 6);
        if (refSize is < 1 or > 8)
            throw Fail($"The trailer's reference size {refSize} is not between 1 and 8", trailerStart + 7);
        if (objectCount < 1 || objectCount > (ulong)data.Length)
            throw Fail($"The trailer's object count {objectCount} does not fit the file", trailerStart + 8);
        if (topObject >= objectCount)
            throw Fail($"The trailer's top object {topObject} is not below the object count {objectCount}", trailerStart + 16);
        if (tableOffset < HeaderLength + 1 || tableOffset >= (ulong)trailerStart)
            throw Fail($"The trailer's offset-table offset {tableOffset} is outside the file", trailerStart + 24);
        // As Apple's reader: the offset table ends exactly where the trailer begins.
        if (tableOffset + objectCount * (ulong)offsetSize != (ulong)trailerStart)
            throw Fail("The offset table does not end where the trailer begins", trailerStart + 24);
        if (refSize < 8 && objectCount >= 1UL << (8 * refSize))
            throw Fail($"A {refSize}-byte reference cannot address {objectCount} objects", trailerStart + 7);
        if (offsetSize < 8 && tableOffset >= 1UL << (8 * offsetSize))
            throw Fail($"A {offsetSize}-byte offset cannot reach the offset table at {tableOffset}", trailerStart + 6);

        var count = (int)objectCount;
        var objectsEnd = (int)tableOffset;
        // Every offset is checked here, once, so Offset() can read the table again without checks.
        var table = data[objectsEnd..trailerStart];
        for (var i = 0; i < count; i++)
        {
            var offset = ReadUnsigned(table.Slice(i * offsetSize, offsetSize));
            if (offset < HeaderLength || offset >= (ulong)objectsEnd)
                throw Fail($"Object {i} has offset {offset}, outside the object area", objectsEnd + (long)i * offsetSize);
        }

        var reader = new BinaryPlistReader(data, count, offsetSize, refSize, objectsEnd, keepLoneSurrogates);
        return reader.ReadObject((int)topObject);
    }

    private PlistValue ReadObject(int index)
    {
        if (_objects[index] is { } done)
        {
            return ReferenceEquals(done, InProgress)
                ? throw Fail($"Object {index} contains itself (a reference cycle)", Offset(index))
                : done;
        }

        var start = Offset(index);
        var marker = _data[start];
        var type = marker >> 4;
        var info = marker & 0xF;
        var pos = start + 1;

        PlistValue value;
        switch (type)
        {
            case 0x0:
                value = info switch
                {
                    0x8 => PlistBoolean.False,
                    0x9 => PlistBoolean.True,
                    0x0 => throw Fail("Null objects are not supported", start),
                    0xF => throw Fail("A fill byte is not an object", start),
                    _ => throw Fail($"Unknown object marker 0x{marker:X2}", start),
                };
                break;
            case 0x1:
                value = ReadInteger(info, pos, start);
                break;
            case 0x2:
                value = info switch
                {
                    2 => new PlistReal(BinaryPrimitives.ReadSingleBigEndian(Take(pos, 4, start))),
                    3 => new PlistReal(BinaryPrimitives.ReadDoubleBigEndian(Take(pos, 8, start))),
                    _ => throw Fail($"Unsupported real size marker 0x{marker:X2}", start),
                };
                break;
            case 0x3:
                if (info != 3)
                    throw Fail($"Unknown object marker 0x{marker:X2}", start);
                value = new PlistDate(ToDate(BinaryPrimitives.ReadDoubleBigEndian(Take(pos, 8, start)), start));
                break;
            case 0x4:
            {
                var length = ReadCount(info, ref pos, 1, start);
                value = PlistData.TakeOwnership(Take(pos, length, start).ToArray());
                break;
            }
            case 0x5:
            {
                var length = ReadCount(info, ref pos, 1, start);
                var bytes = Take(pos, length, start);
                if (!Ascii.IsValid(bytes))
                    throw Fail("An ASCII string holds a byte above 0x7F", start);
                value = new PlistString(Encoding.ASCII.GetString(bytes));
                break;
            }
            case 0x6:
            {
                var units = ReadCount(info, ref pos, 2, start);
                value = new PlistString(_keepLoneSurrogates ? DecodeUtf16Units(Take(pos, units * 2, start)) : DecodeUtf16(Take(pos, units * 2, start), start));
                break;
            }
            case 0x8:
                if (info > 7)
                    throw Fail("A UID wider than 8 bytes is not supported", start);
                value = new PlistUid(ReadUnsigned(Take(pos, info + 1, start)));
                break;
            case 0xA:
            {
                var count = ReadCount(info, ref pos, _refSize, start);
                var refs = Take(pos, count * _refSize, start);
                var array = new PlistArray(count);
                Enter(index, start);
                for (var i = 0; i < count; i++)
                    array.AddFromReader(ReadObject(ReadRef(refs, i, pos)));
                Leave();
                value = array;
                break;
            }
            case 0xD:
            {
                var count = ReadCount(info, ref pos, 2 * _refSize, start);
                var refs = Take(pos, count * 2 * _refSize, start);
                var dictionary = new PlistDictionary(count);
                Enter(index, start);
                for (var i = 0; i < count; i++)
                {
                    var keyIndex = ReadRef(refs, i, pos);
                    if (ReadObject(keyIndex) is not PlistString key)
                        throw Fail($"Dictionary key {i} is not a string", Offset(keyIndex));
                    dictionary.AddFromReader(key.Value, ReadObject(ReadRef(refs, count + i, pos)));
                }
                Leave();
                // Duplicate keys: the last one wins, as in Apple's reader and Python's.
                dictionary.MergeDuplicateKeys();
                value = dictionary;
                break;
            }
            default:
                throw Fail($"Unknown or unsupported object marker 0x{marker:X2}", start);
        }

        _objects[index] = value;
        return value;
    }

    private void Enter(int index, int offset)
    {
        if (++_depth > Plist.MaxDepth)
            throw Fail($"Containers nest deeper than {Plist.MaxDepth} levels", offset);
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
        }
        catch (InsufficientExecutionStackException)
        {
            throw Fail("Containers nest too deeply for the available stack", offset);
        }
        _objects[index] = InProgress;
    }

    private void Leave() => _depth--;

    private readonly PlistInteger ReadInteger(int info, int pos, int start)
    {
        switch (info)
        {
            // 1-, 2- and 4-byte integers are unsigned; 8-byte ones signed; 16-byte ones signed 128-bit.
            case 0: return PlistInteger.From(Take(pos, 1, start)[0]);
            case 1: return PlistInteger.From(BinaryPrimitives.ReadUInt16BigEndian(Take(pos, 2, start)));
            case 2: return PlistInteger.From(BinaryPrimitives.ReadUInt32BigEndian(Take(pos, 4, start)));
            case 3: return PlistInteger.From(BinaryPrimitives.ReadInt64BigEndian(Take(pos, 8, start)));
            case 4:
                var wide = BinaryPrimitives.ReadInt128BigEndian(Take(pos, 16, start));
                if (wide < PlistInteger.MinValue || wide > PlistInteger.MaxValue)
                    throw Fail("A 16-byte integer is outside -2^63 .. 2^64-1", start);
                return new PlistInteger(wide);
            default:
                throw Fail($"Unsupported integer size marker 0x{0x10 | info:X2}", start);
        }
    }

    /// <summary>A container's or string's element count, checked against the bytes left before the offset table.</summary>
    private readonly int ReadCount(int info, ref int pos, int elementSize, int start)
    {
        ulong count;
        if (info != 0xF)
        {
            count = (ulong)info;
        }
        else
        {
            var sizeMarker = Take(pos, 1, start)[0];
            if (sizeMarker >> 4 != 0x1 || (sizeMarker & 0xF) > 3)
                throw Fail($"An extended count must be an integer of 1 to 8 bytes, not marker 0x{sizeMarker:X2}", pos);
            var width = 1 << (sizeMarker & 0xF);
            count = ReadUnsigned(Take(pos + 1, width, start));
            pos += 1 + width;
        }
        var available = (ulong)(_objectsEnd - pos) / (ulong)elementSize;
        if (count > available)
            throw Fail($"A count of {count} exceeds the bytes left in the object area", start);
        return (int)count;
    }

    private readonly int ReadRef(ReadOnlySpan<byte> refs, int i, int refsStart)
    {
        var reference = ReadUnsigned(refs.Slice(i * _refSize, _refSize));
        if (reference >= (ulong)_objects.Length)
            throw Fail($"Reference {reference} is not below the object count {_objects.Length}", refsStart + (long)i * _refSize);
        return (int)reference;
    }

    private readonly int Offset(int index) => (int)ReadUnsigned(_offsetTable.Slice(index * _offsetSize, _offsetSize));

    private readonly ReadOnlySpan<byte> Take(int pos, int length, int objectStart)
    {
        if (length > _objectsEnd - pos)
            throw Fail("The object runs past the end of the object area", objectStart);
        return _data.Slice(pos, length);
    }

    private static ulong ReadUnsigned(ReadOnlySpan<byte> bytes)
    {
        switch (bytes.Length)
        {
            case 1: return bytes[0];
            case 2: return BinaryPrimitives.ReadUInt16BigEndian(bytes);
            case 4: return BinaryPrimitives.ReadUInt32BigEndian(bytes);
            case 8: return BinaryPrimitives.ReadUInt64BigEndian(bytes);
            default:
                ulong value = 0;
                foreach (var b in bytes)
                    value = (value << 8) | b;
                return value;
        }
    }

    // Every code unit as it is, lone surrogates included, as CoreFoundation reads them: for callers that check the
    // strings themselves and want to say which key is wrong rather than that the document is.
    private static string DecodeUtf16Units(ReadOnlySpan<byte> bytes)
    {
        var units = new char[bytes.Length / 2];
        for (var i = 0; i < units.Length; i++)
            units[i] = (char)BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]);
        return new string(units);
    }

    private static string DecodeUtf16(ReadOnlySpan<byte> bytes, int start)
    {
        try
        {
            return StrictUtf16BigEndian.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw PropertyListFormatException.AtOffset("A UTF-16 string is not valid UTF-16", start, e);
        }
    }

    private static DateTime ToDate(double seconds, int start)
    {
        if (!double.IsFinite(seconds) || seconds < MinSeconds || seconds > MaxSeconds)
            throw Fail($"A date of {seconds} seconds after 2001-01-01 is not representable", start);
        // Whole seconds and the fraction converted apart, so whole-second dates stay exact at any distance.
        var whole = Math.Floor(seconds);
        var result = Epoch.Ticks + ((long)whole * TimeSpan.TicksPerSecond) + (long)Math.Round((seconds - whole) * TimeSpan.TicksPerSecond);
        if (result < DateTime.MinValue.Ticks || result > DateTime.MaxValue.Ticks)
            throw Fail($"A date of {seconds} seconds after 2001-01-01 is not representable", start);
        return new DateTime(result, DateTimeKind.Utc);
    }

    private static PropertyListFormatException Fail(string message, long offset) => PropertyListFormatException.AtOffset(message, offset);
}
