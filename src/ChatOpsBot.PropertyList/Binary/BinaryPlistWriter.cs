using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace ChatOpsBot.PropertyList.Binary;

/// <summary>
/// Writes <c>bplist00</c> the way CoreFoundation and CPython do, byte for byte: the root first, equal scalars stored
/// once, containers stored once per instance, keys sorted ordinally, the narrowest integer, reference and offset
/// widths.
/// </summary>
internal sealed class BinaryPlistWriter
{
    private static readonly DateTime Epoch = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private static readonly UnicodeEncoding StrictUtf16BigEndian = new(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);

    // Scalars are keyed by value (their Equals), containers by reference: two equal containers stay distinct.
    private readonly Dictionary<PlistValue, int> _indexes = [];
    private readonly Dictionary<string, int> _stringIndexes = new(StringComparer.Ordinal);
    private readonly List<PlistValue> _objects = [];
    private readonly Dictionary<PlistDictionary, KeyValuePair<string, PlistValue>[]> _sortedEntries = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<PlistValue> _onPath = new(ReferenceEqualityComparer.Instance);
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private int _refSize;

    public static byte[] Write(PlistValue root)
    {
        var writer = new BinaryPlistWriter();
        writer.Flatten(root, 0);
        return writer.Emit();
    }

    private void Flatten(PlistValue value, int depth)
    {
        if (value is PlistString s)
        {
            if (_stringIndexes.TryAdd(s.Value, _objects.Count))
                _objects.Add(value);
            return;
        }
        if (!_indexes.TryAdd(value, _objects.Count))
        {
            if (_onPath.Contains(value))
                throw new ArgumentException("The property list contains a cycle; it cannot be written.");
            return;
        }
        _objects.Add(value);

        if (value is PlistDictionary or PlistArray)
        {
            if (depth >= Plist.MaxDepth)
                throw new ArgumentException($"The property list nests deeper than {Plist.MaxDepth} levels.");
            RuntimeHelpers.EnsureSufficientExecutionStack();
            _onPath.Add(value);
            if (value is PlistDictionary dictionary)
            {
                var entries = dictionary.ToArray();
                Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                _sortedEntries[dictionary] = entries;
                foreach (var entry in entries)
                    Flatten(new PlistString(entry.Key), depth + 1);
                foreach (var entry in entries)
                    Flatten(entry.Value, depth + 1);
            }
            else
            {
                foreach (var item in (PlistArray)value)
                    Flatten(item, depth + 1);
            }
            _onPath.Remove(value);
        }
    }

    private int IndexOf(PlistValue value) => value is PlistString s ? _stringIndexes[s.Value] : _indexes[value];

    private byte[] Emit()
    {
        _refSize = SizeFor((ulong)_objects.Count);
        var offsets = new long[_objects.Count];
        Write("bplist00"u8);
        for (var i = 0; i < _objects.Count; i++)
        {
            offsets[i] = _output.WrittenCount;
            WriteObject(_objects[i]);
        }

        var tableOffset = (ulong)_output.WrittenCount;
        var offsetSize = SizeFor(tableOffset);
        foreach (var offset in offsets)
            WriteSized((ulong)offset, offsetSize);

        var trailer = _output.GetSpan(32)[..32];
        trailer[..6].Clear();
        trailer[6] = (byte)offsetSize;
        trailer[7] = (byte)_refSize;
        BinaryPrimitives.WriteUInt64BigEndian(trailer[8..], (ulong)_objects.Count);
        BinaryPrimitives.WriteUInt64BigEndian(trailer[16..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(trailer[24..], tableOffset);
        _output.Advance(32);
        return _output.WrittenSpan.ToArray();
    }

    private void WriteObject(PlistValue value)
    {
        switch (value)
        {
            case PlistBoolean b:
                WriteByte(b.Value ? (byte)0x09 : (byte)0x08);
                break;
            case PlistInteger i:
                WriteInteger(i.Value);
                break;
            case PlistReal r:
                WriteByte(0x23);
                BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), r.Value);
                _output.Advance(8);
                break;
            case PlistDate d:
                WriteByte(0x33);
                // Whole seconds and the fraction converted apart, so whole-second dates stay exact at any distance.
                var ticks = d.Value.Ticks - Epoch.Ticks;
                var seconds = (double)(ticks / TimeSpan.TicksPerSecond) + (double)(ticks % TimeSpan.TicksPerSecond) / TimeSpan.TicksPerSecond;
                BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), seconds);
                _output.Advance(8);
                break;
            case PlistData data:
                WriteHeader(0x40, (ulong)data.Length);
                Write(data.Value.Span);
                break;
            case PlistString s:
                WriteString(s.Value);
                break;
            case PlistUid uid:
                var width = SizeFor(uid.Value);
                WriteByte((byte)(0x80 | (width - 1)));
                WriteSized(uid.Value, width);
                break;
            case PlistArray array:
                WriteHeader(0xA0, (ulong)array.Count);
                foreach (var item in array)
                    WriteSized((ulong)IndexOf(item), _refSize);
                break;
            case PlistDictionary dictionary:
                var entries = _sortedEntries[dictionary];
                WriteHeader(0xD0, (ulong)entries.Length);
                foreach (var entry in entries)
                    WriteSized((ulong)_stringIndexes[entry.Key], _refSize);
                foreach (var entry in entries)
                    WriteSized((ulong)IndexOf(entry.Value), _refSize);
                break;
            default:
                throw new ArgumentException($"Unsupported property-list value {value.GetType().Name}.");
        }
    }

    private void WriteInteger(Int128 value)
    {
        if (value < 0 || (value > uint.MaxValue && value <= long.MaxValue))
        {
            WriteByte(0x13);
            WriteSized((ulong)(long)value, 8);
        }
        else if (value > long.MaxValue)
        {
            // 2^63 .. 2^64-1 need the 16-byte form, which is signed.
            WriteByte(0x14);
            BinaryPrimitives.WriteInt128BigEndian(_output.GetSpan(16), value);
            _output.Advance(16);
        }
        else
        {
            var size = SizeFor((ulong)value);
            WriteByte((byte)(0x10 | (size == 1 ? 0 : size == 2 ? 1 : 2)));
            WriteSized((ulong)value, size);
        }
    }

    private void WriteString(string value)
    {
        if (Ascii.IsValid(value))
        {
            WriteHeader(0x50, (ulong)value.Length);
            var span = _output.GetSpan(value.Length);
            Ascii.FromUtf16(value, span, out _);
            _output.Advance(value.Length);
            return;
        }
        int byteCount;
        try
        {
            byteCount = StrictUtf16BigEndian.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("A string holds a lone surrogate; it cannot be written.", e);
        }
        WriteHeader(0x60, (ulong)value.Length);
        StrictUtf16BigEndian.GetBytes(value, _output.GetSpan(byteCount));
        _output.Advance(byteCount);
    }

    private void WriteHeader(byte type, ulong count)
    {
        if (count < 15)
        {
            WriteByte((byte)(type | (byte)count));
            return;
        }
        WriteByte((byte)(type | 0xF));
        var size = SizeFor(count);
        WriteByte((byte)(0x10 | (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3)));
        WriteSized(count, size);
    }

    /// <summary>The narrowest of 1, 2, 4 or 8 bytes that holds <paramref name="value"/>.</summary>
    private static int SizeFor(ulong value) => value switch
    {
        < 1UL << 8 => 1,
        < 1UL << 16 => 2,
        < 1UL << 32 => 4,
        _ => 8,
    };

    private void WriteSized(ulong value, int size)
    {
        var span = _output.GetSpan(size);
        switch (size)
        {
            case 1: span[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64BigEndian(span, value); break;
        }
        _output.Advance(size);
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private void Write(ReadOnlySpan<byte> bytes) => _output.Write(bytes);
}
