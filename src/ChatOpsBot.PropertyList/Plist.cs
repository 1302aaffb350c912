using ChatOpsBot.PropertyList.Binary;
using ChatOpsBot.PropertyList.Xml;

namespace ChatOpsBot.PropertyList;

/// <summary>Reads and writes Apple property lists, XML and binary.</summary>
/// <example>
/// <code>
/// PlistDictionary info = Plist.ParseDictionary(File.ReadAllBytes("Info.plist"));
/// byte[] xml = Plist.ToXml(new PlistDictionary { ["items"] = new PlistArray() });
/// </code>
/// </example>
public static class Plist
{
    /// <summary>The deepest nesting of containers read or written (as libplist).</summary>
    public const int MaxDepth = 512;

    /// <summary>The default cap on the size of a document read from a stream: 64 MiB.</summary>
    public const int DefaultMaxLength = 64 * 1024 * 1024;

    /// <summary>Parses a property list, detecting XML or binary from the bytes.</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed or unsupported.</exception>
    public static PlistValue Parse(ReadOnlyMemory<byte> data) => Parse(data, out _);

    /// <summary>Parses a property list, detecting XML or binary from the bytes, and says which it was.</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed or unsupported.</exception>
    public static PlistValue Parse(ReadOnlyMemory<byte> data, out PlistFormat format)
    {
        format = DetectFormat(data.Span);
        return format == PlistFormat.Binary ? BinaryPlistReader.Read(data.Span) : XmlPlistReader.Read(data);
    }

    /// <summary>Parses a property list, detecting XML or binary from the bytes, with non-default reading rules.</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed or unsupported.</exception>
    public static PlistValue Parse(ReadOnlyMemory<byte> data, PlistReaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return DetectFormat(data.Span) == PlistFormat.Binary
            ? BinaryPlistReader.Read(data.Span, options.KeepLoneSurrogates)
            : XmlPlistReader.Read(data);
    }

    /// <summary>Reads a whole stream (at most <paramref name="maxLength"/> bytes) and parses it.</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed, unsupported or too large.</exception>
    public static PlistValue Parse(Stream stream, int maxLength = DefaultMaxLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new BoundedBuffer(maxLength);
        buffer.ReadAll(stream);
        return Parse(buffer.WrittenMemory);
    }

    /// <summary>Reads a whole stream (at most <paramref name="maxLength"/> bytes) and parses it.</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed, unsupported or too large.</exception>
    public static async Task<PlistValue> ParseAsync(Stream stream, int maxLength = DefaultMaxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new BoundedBuffer(maxLength);
        await buffer.ReadAllAsync(stream, cancellationToken).ConfigureAwait(false);
        return Parse(buffer.WrittenMemory);
    }

    /// <summary>Parses a property list whose root must be a dictionary (an Info.plist, a manifest, a profile).</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed, or its root is not a dictionary.</exception>
    public static PlistDictionary ParseDictionary(ReadOnlyMemory<byte> data) =>
        Parse(data) as PlistDictionary ?? throw new PropertyListFormatException("The property list's root is not a dictionary.");

    /// <summary>Parses a property list whose root must be a dictionary, with non-default reading rules.</summary>
    /// <exception cref="PropertyListFormatException">The document is malformed, or its root is not a dictionary.</exception>
    public static PlistDictionary ParseDictionary(ReadOnlyMemory<byte> data, PlistReaderOptions options) =>
        Parse(data, options) as PlistDictionary ?? throw new PropertyListFormatException("The property list's root is not a dictionary.");

    /// <summary>Says whether bytes hold an XML or a binary property list.</summary>
    /// <exception cref="PropertyListFormatException">The bytes are neither.</exception>
    public static PlistFormat DetectFormat(ReadOnlySpan<byte> data) =>
        TryDetectFormat(data, out var format)
            ? format
            : throw PropertyListFormatException.AtOffset("Not a property list: expected 'bplist0' or an XML document", 0);

    /// <summary>Says whether bytes look like an XML or a binary property list.</summary>
    public static bool TryDetectFormat(ReadOnlySpan<byte> data, out PlistFormat format)
    {
        if (data.StartsWith("bplist"u8))
        {
            format = PlistFormat.Binary;
            return true;
        }
        format = PlistFormat.Xml;
        return XmlPlistReader.LooksLikeXml(data);
    }

    /// <summary>Writes a value as an XML property list (UTF-8, Apple's header and tab indentation).</summary>
    /// <exception cref="ArgumentException">A string holds a character XML cannot carry, or the tree is too deep or cyclic.</exception>
    public static byte[] ToXml(PlistValue value) => XmlPlistWriter.Write(NotNull(value));

    /// <summary>Writes a value as a binary property list (<c>bplist00</c>).</summary>
    /// <exception cref="ArgumentException">A string holds a lone surrogate, or the tree is too deep or cyclic.</exception>
    public static byte[] ToBinary(PlistValue value) => BinaryPlistWriter.Write(NotNull(value));

    /// <summary>Writes a value in the given format.</summary>
    public static byte[] Serialize(PlistValue value, PlistFormat format) =>
        format == PlistFormat.Binary ? ToBinary(value) : ToXml(value);

    /// <summary>Writes a value in the given format to a stream.</summary>
    public static void Write(Stream stream, PlistValue value, PlistFormat format)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Serialize(value, format));
    }

    private static PlistValue NotNull(PlistValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value;
    }
}
