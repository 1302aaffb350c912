using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml;

namespace ChatOpsBot.PropertyList.Xml;

/// <summary>
/// Reads XML property lists with a streaming reader that never fetches the DTD and never expands entities, keeps
/// text split by comments or CDATA together, and accepts the spellings Apple's reader accepts.
/// </summary>
internal sealed class XmlPlistReader
{
    private static readonly XmlReaderSettings Settings = new()
    {
        // Prohibit would reject Apple's own DOCTYPE; Ignore skips it, and with it any entity declarations, so an
        // entity reference fails as undeclared instead of expanding.
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false,
        CheckCharacters = true,
        MaxCharactersFromEntities = 0,
        CloseInput = false,
    };

    private readonly XmlReader _reader;
    private readonly StringBuilder _text = new();
    private int _depth;

    private XmlPlistReader(XmlReader reader) => _reader = reader;

    public static bool LooksLikeXml(ReadOnlySpan<byte> data)
    {
        // UTF-16 without a BOM: '<' next to a zero byte.
        if (data.Length >= 2 && ((data[0] == '<' && data[1] == 0) || (data[0] == 0 && data[1] == '<')))
            return true;
        if (data.Length >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
            data = data[3..];
        else if (data.Length >= 2 && ((data[0] == 0xFE && data[1] == 0xFF) || (data[0] == 0xFF && data[1] == 0xFE)))
            return true;
        var start = data.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && data[start] == '<';
    }

    public static PlistValue Read(ReadOnlyMemory<byte> data)
    {
        using var stream = new ReadOnlyMemoryStream(data);
        using var xml = XmlReader.Create(stream, Settings);
        var reader = new XmlPlistReader(xml);
        try
        {
            return reader.ReadDocument();
        }
        catch (XmlException e)
        {
            throw PropertyListFormatException.AtLine("The XML is malformed: " + e.Message, e.LineNumber, e.LinePosition, e);
        }
        catch (DecoderFallbackException e)
        {
            throw reader.Fail("The XML's text encoding is invalid", e);
        }
    }

    private PlistValue ReadDocument()
    {
        if (_reader.MoveToContent() != XmlNodeType.Element)
            throw Fail("The document has no root element");

        PlistValue value;
        if (_reader.LocalName == "plist")
        {
            if (_reader.IsEmptyElement)
                throw Fail("<plist> holds no value");
            NextContent();
            if (_reader.NodeType != XmlNodeType.Element)
                throw Fail("<plist> holds no value");
            value = ReadValue();
            NextContent();
            if (_reader.NodeType != XmlNodeType.EndElement)
                throw Fail("<plist> holds more than one value");
        }
        else
        {
            // A bare root value without <plist> occurs in the wild; nothing is lost by reading it.
            value = ReadValue();
        }

        while (_reader.Read())
        {
            if (_reader.NodeType is not (XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace or XmlNodeType.EndElement))
                throw Fail("Unexpected content after the property list");
        }
        return value;
    }

    /// <summary>Reads the value whose start tag the reader is on; leaves the reader on its end (or empty) tag.</summary>
    private PlistValue ReadValue()
    {
        var name = _reader.LocalName;
        switch (name)
        {
            case "dict":
                return ReadDictionary();
            case "array":
                return ReadArray();
            case "string":
                return new PlistString(ReadText());
            case "integer":
                return ParseInteger(ReadScalarText(name));
            case "real":
                return ParseReal(ReadScalarText(name));
            case "true":
            case "false":
                if (ReadText().AsSpan().Trim().Length > 0)
                    throw Fail($"<{name}> must be empty");
                return PlistBoolean.From(name == "true");
            case "date":
                return ParseDate(ReadScalarText(name));
            case "data":
                return ParseData(ReadText());
            case "key":
                throw Fail("A <key> outside a <dict>, or two keys in a row");
            default:
                throw Fail($"Unknown tag <{name}>");
        }
    }

    private PlistValue ReadDictionary()
    {
        var dictionary = new PlistDictionary();
        if (_reader.IsEmptyElement)
            return dictionary;
        Enter();
        while (true)
        {
            NextContent();
            if (_reader.NodeType == XmlNodeType.EndElement)
                break;
            if (_reader.NodeType != XmlNodeType.Element || _reader.LocalName != "key")
                throw Fail($"Expected <key> inside <dict>, found {Describe()}");
            var key = ReadText();
            NextContent();
            if (_reader.NodeType != XmlNodeType.Element)
                throw Fail($"The key '{key}' has no value");
            if (_reader.LocalName == "key")
                throw Fail($"The key '{key}' is followed by another key instead of a value");
            dictionary.AddFromReader(key, ReadValue());
        }
        Leave();
        // Duplicate keys: the last one wins, as in Apple's reader and Python's.
        dictionary.MergeDuplicateKeys();

        // The XML form of a keyed-archive UID.
        if (dictionary.Count == 1 && dictionary.Get("CF$UID") is PlistInteger uid && uid.Value >= 0)
            return new PlistUid((ulong)uid.Value);
        return dictionary;
    }

    private PlistArray ReadArray()
    {
        var array = new PlistArray();
        if (_reader.IsEmptyElement)
            return array;
        Enter();
        while (true)
        {
            NextContent();
            if (_reader.NodeType == XmlNodeType.EndElement)
                break;
            if (_reader.NodeType != XmlNodeType.Element)
                throw Fail($"Expected a value inside <array>, found {Describe()}");
            array.AddFromReader(ReadValue());
        }
        Leave();
        return array;
    }

    /// <summary>Moves to the next element or end tag, skipping whitespace; text there is an error.</summary>
    private void NextContent()
    {
        while (_reader.Read())
        {
            switch (_reader.NodeType)
            {
                case XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    continue;
                case XmlNodeType.Element or XmlNodeType.EndElement:
                    return;
                default:
                    throw Fail($"Unexpected {Describe()}");
            }
        }
        throw Fail("The document ends inside a container");
    }

    /// <summary>The element's text: every text, CDATA and whitespace node until its end tag, joined.</summary>
    private string ReadText()
    {
        if (_reader.IsEmptyElement)
            return "";
        var name = _reader.LocalName;
        string? first = null;
        _text.Clear();
        while (_reader.Read())
        {
            switch (_reader.NodeType)
            {
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    if (first is null && _text.Length == 0)
                    {
                        first = _reader.Value;
                    }
                    else
                    {
                        if (first is not null)
                        {
                            _text.Append(first);
                            first = null;
                        }
                        _text.Append(_reader.Value);
                    }
                    break;
                case XmlNodeType.EndElement:
                    return first ?? _text.ToString();
                default:
                    throw Fail($"Unexpected {Describe()} inside <{name}>");
            }
        }
        throw Fail($"The document ends inside <{name}>");
    }

    private string ReadScalarText(string name)
    {
        if (_reader.IsEmptyElement)
            throw Fail($"<{name}/> has no value");
        return ReadText().Trim();
    }

    private PlistInteger ParseInteger(string text)
    {
        var span = text.AsSpan();
        var negative = false;
        if (span.Length > 0 && (span[0] == '-' || span[0] == '+'))
        {
            negative = span[0] == '-';
            span = span[1..];
        }
        var hex = span.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (hex)
            span = span[2..];
        if (span.IsEmpty)
            throw Fail($"'{text}' is not an integer");

        // Leading zeros do not mean octal; accumulate with a ceiling just above the range so nothing overflows.
        UInt128 magnitude = 0;
        var radix = hex ? 16u : 10u;
        foreach (var c in span)
        {
            if (!(hex ? char.IsAsciiHexDigit(c) : char.IsAsciiDigit(c)))
                throw Fail($"'{text}' is not an integer");
            magnitude = magnitude * radix + (uint)HexValue(c);
            if (magnitude > ulong.MaxValue + (UInt128)1)
                throw Fail($"'{text}' is outside -2^63 .. 2^64-1");
        }
        var value = negative ? -(Int128)magnitude : (Int128)magnitude;
        if (value < PlistInteger.MinValue || value > PlistInteger.MaxValue)
            throw Fail($"'{text}' is outside -2^63 .. 2^64-1");
        return value >= -1 && value <= 255 ? PlistInteger.From((long)value) : new PlistInteger(value);
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private PlistReal ParseReal(string text)
    {
        switch (text.ToLowerInvariant())
        {
            case "nan" or "+nan" or "-nan":
                return new PlistReal(double.NaN);
            case "inf" or "+inf" or "infinity" or "+infinity":
                return new PlistReal(double.PositiveInfinity);
            case "-inf" or "-infinity":
                return new PlistReal(double.NegativeInfinity);
        }
        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.')
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return new PlistReal(value);
        throw Fail($"'{text}' is not a real number");
    }

    private PlistDate ParseDate(string text)
    {
        // Apple writes YYYY-MM-DDTHH:MM:SSZ; like Python, accept the truncated forms too (YYYYZ, YYYY-MMZ, ...).
        var span = text.AsSpan();
        int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
        var ok = span.Length >= 5 && span[^1] == 'Z'
            && Number(span, 0, 4, out year)
            && (span.Length == 5 || (span[4] == '-' && Number(span, 5, 2, out month)
                && (span.Length == 8 || (span[7] == '-' && Number(span, 8, 2, out day)
                    && (span.Length == 11 || (span[10] == 'T' && Number(span, 11, 2, out hour)
                        && (span.Length == 14 || (span[13] == ':' && Number(span, 14, 2, out minute)
                            && (span.Length == 17 || (span[16] == ':' && Number(span, 17, 2, out second) && span.Length == 20))))))))));
        if (!ok)
            throw Fail($"'{text}' is not a date of the form YYYY-MM-DDTHH:MM:SSZ");
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            throw Fail($"'{text}' is not a valid date");
        return new PlistDate(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc));
    }

    private static bool Number(ReadOnlySpan<char> text, int start, int length, out int value)
    {
        value = 0;
        if (text.Length < start + length)
            return false;
        foreach (var c in text.Slice(start, length))
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private PlistData ParseData(string text)
    {
        try
        {
            return PlistData.TakeOwnership(Convert.FromBase64String(text));
        }
        catch (FormatException e)
        {
            throw Fail("<data> is not valid base64", e);
        }
    }

    private void Enter()
    {
        if (++_depth > Plist.MaxDepth)
            throw Fail($"Containers nest deeper than {Plist.MaxDepth} levels");
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
        }
        catch (InsufficientExecutionStackException)
        {
            throw Fail("Containers nest too deeply for the available stack");
        }
    }

    private void Leave() => _depth--;

    private string Describe() => _reader.NodeType switch
    {
        XmlNodeType.Element => $"<{_reader.LocalName}>",
        XmlNodeType.EndElement => $"</{_reader.LocalName}>",
        XmlNodeType.Text or XmlNodeType.CDATA => "text",
        XmlNodeType.EntityReference => "an entity reference",
        _ => _reader.NodeType.ToString(),
    };

    private PropertyListFormatException Fail(string message, Exception? inner = null)
    {
        var line = _reader as IXmlLineInfo;
        return PropertyListFormatException.AtLine(message, line?.LineNumber ?? 0, line?.LinePosition ?? 0, inner);
    }
}
