using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ChatOpsBot.PropertyList.Xml;

/// <summary>
/// Writes XML property lists formatted as Apple and Python do (tab indentation, sorted keys, 76-column base64),
/// escaping every string and refusing characters XML 1.0 cannot carry.
/// </summary>
internal sealed class XmlPlistWriter
{
    private const string Header =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" +
        "<plist version=\"1.0\">\n";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly StringBuilder _out = new();
    private readonly HashSet<PlistValue> _onPath = new(ReferenceEqualityComparer.Instance);
    private int _indent;

    public static byte[] Write(PlistValue root)
    {
        var writer = new XmlPlistWriter();
        writer._out.Append(Header);
        writer.WriteValue(root);
        writer._out.Append("</plist>\n");
        return Utf8.GetBytes(writer._out.ToString());
    }

    public static string WriteFragment(PlistValue value)
    {
        var writer = new XmlPlistWriter();
        try
        {
            writer.WriteValue(value);
        }
        catch (ArgumentException e)
        {
            return $"<!-- {e.Message} -->";
        }
        return writer._out.ToString().TrimEnd('\n');
    }

    private void WriteValue(PlistValue value)
    {
        switch (value)
        {
            case PlistString s:
                Element("string", s.Value);
                break;
            case PlistBoolean b:
                Line(b.Value ? "<true/>" : "<false/>");
                break;
            case PlistInteger i:
                Line("<integer>" + i.Value.ToString(CultureInfo.InvariantCulture) + "</integer>");
                break;
            case PlistReal r:
                Line("<real>" + FormatReal(r.Value) + "</real>");
                break;
            case PlistDate d:
                Line("<date>" + d.Value.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture) + "</date>");
                break;
            case PlistData data:
                WriteData(data.Value.Span);
                break;
            case PlistUid uid:
                Line("<dict>");
                _indent++;
                Line("<key>CF$UID</key>");
                Line("<integer>" + uid.Value.ToString(CultureInfo.InvariantCulture) + "</integer>");
                _indent--;
                Line("</dict>");
                break;
            case PlistArray array:
                if (array.Count == 0)
                {
                    Line("<array/>");
                    break;
                }
                Enter(array);
                Line("<array>");
                _indent++;
                foreach (var item in array)
                    WriteValue(item);
                _indent--;
                Line("</array>");
                Leave(array);
                break;
            case PlistDictionary dictionary:
                if (dictionary.Count == 0)
                {
                    Line("<dict/>");
                    break;
                }
                Enter(dictionary);
                var entries = dictionary.ToArray();
                Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                Line("<dict>");
                _indent++;
                foreach (var (key, item) in entries)
                {
                    Element("key", key);
                    WriteValue(item);
                }
                _indent--;
                Line("</dict>");
                Leave(dictionary);
                break;
            default:
                throw new ArgumentException($"Unsupported property-list value {value.GetType().Name}.");
        }
    }

    private void Enter(PlistValue container)
    {
        if (_onPath.Count >= Plist.MaxDepth)
            throw new ArgumentException($"The property list nests deeper than {Plist.MaxDepth} levels.");
        if (!_onPath.Add(container))
            throw new ArgumentException("The property list contains a cycle; it cannot be written.");
        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private void Leave(PlistValue container) => _onPath.Remove(container);

    private static string FormatReal(double value) => value switch
    {
        double.PositiveInfinity => "+infinity",
        double.NegativeInfinity => "-infinity",
        _ when double.IsNaN(value) => "nan",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private void WriteData(ReadOnlySpan<byte> bytes)
    {
        Line("<data>");
        // Python's and Apple's layout: base64 lines at the element's own indent, at most 76 columns counting a tab
        // as 8, in whole 4-character groups.
        var maxLineLength = Math.Max(16, 76 - (8 * _indent));
        var bytesPerLine = maxLineLength / 4 * 3;
        for (var i = 0; i < bytes.Length; i += bytesPerLine)
            Line(Convert.ToBase64String(bytes.Slice(i, Math.Min(bytesPerLine, bytes.Length - i))));
        Line("</data>");
    }

    private void Element(string name, string text)
    {
        Indent();
        _out.Append('<').Append(name).Append('>');
        AppendEscaped(text);
        _out.Append("</").Append(name).Append(">\n");
    }

    private void Line(string text)
    {
        Indent();
        _out.Append(text).Append('\n');
    }

    private void Indent() => _out.Append('\t', _indent);

    private void AppendEscaped(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': _out.Append("&amp;"); break;
                case '<': _out.Append("&lt;"); break;
                case '>': _out.Append("&gt;"); break;
                // A literal CR would come back as LF; a character reference survives the reader's normalisation.
                case '\r': _out.Append("&#13;"); break;
                case '\t' or '\n': _out.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF':
                    throw new ArgumentException($"A string holds U+{(int)c:X4}, which XML cannot carry; store it as data instead.");
                default:
                    if (char.IsSurrogate(c))
                    {
                        if (!char.IsHighSurrogate(c) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                            throw new ArgumentException($"A string holds a lone surrogate U+{(int)c:X4}; it cannot be written.");
                        _out.Append(c).Append(text[++i]);
                        break;
                    }
                    _out.Append(c);
                    break;
            }
        }
    }
}
