namespace ChatOpsBot.PropertyList;

/// <summary>
/// The one exception a malformed, truncated, hostile or unsupported property list raises. It carries where the
/// problem was found: a byte offset for binary documents, a line and position for XML documents.
/// </summary>
public sealed class PropertyListFormatException : FormatException
{
    /// <summary>Creates an exception with a message and no position.</summary>
    public PropertyListFormatException() : base("The property list is malformed.")
    {
    }

    /// <summary>Creates an exception with a message and no position.</summary>
    public PropertyListFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates an exception that wraps the error that revealed the problem.</summary>
    public PropertyListFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }

    private PropertyListFormatException(string message, long? byteOffset, int? lineNumber, int? linePosition, Exception? innerException)
        : base(message, innerException)
    {
        ByteOffset = byteOffset;
        LineNumber = lineNumber;
        LinePosition = linePosition;
    }

    /// <summary>The byte offset in a binary property list where the problem was found, if known.</summary>
    public long? ByteOffset { get; }

    /// <summary>The 1-based line in an XML property list where the problem was found, if known.</summary>
    public int? LineNumber { get; }

    /// <summary>The 1-based position within <see cref="LineNumber"/>, if known.</summary>
    public int? LinePosition { get; }

    internal static PropertyListFormatException AtOffset(string message, long offset, Exception? inner = null) =>
        new($"{message} (at byte offset {offset}).", offset, null, null, inner);

    // XmlReader reports line 0 once it has run off the end (an empty document, or one with no root element). Every
    // rejection carries a position, so such a document is reported at its start.
    internal static PropertyListFormatException AtLine(string message, int line, int position, Exception? inner = null) =>
        line > 0
            ? new($"{message} (line {line}, position {position}).", null, line, position, inner)
            : new($"{message} (line 1, position 1).", null, 1, 1, inner);
}
