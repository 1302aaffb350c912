namespace ChatOpsBot.PropertyList;

/// <summary>Rules for reading a property list that differ from the strict defaults.</summary>
public sealed class PlistReaderOptions
{
    /// <summary>
    /// Keep lone UTF-16 surrogates in binary property-list strings instead of refusing the document, as Apple's
    /// CoreFoundation reader does. The strings that come back cannot be written again (both writers refuse lone
    /// surrogates), so a caller that sets this checks the strings it uses itself, and can then say which key is wrong.
    /// XML documents cannot carry lone surrogates and are read as always.
    /// </summary>
    public bool KeepLoneSurrogates { get; init; }
}
