namespace ChatOpsBot.PropertyList;

/// <summary>The two property-list encodings Apple platforms read.</summary>
public enum PlistFormat
{
    /// <summary>The XML encoding (<c>&lt;?xml … &lt;plist version="1.0"&gt;</c>).</summary>
    Xml,

    /// <summary>The binary encoding (<c>bplist00</c>).</summary>
    Binary,
}

/// <summary>The type of a <see cref="PlistValue"/>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The members are the property-list type names.")]
public enum PlistValueKind
{
    /// <summary>A <see cref="PlistDictionary"/>.</summary>
    Dictionary,

    /// <summary>A <see cref="PlistArray"/>.</summary>
    Array,

    /// <summary>A <see cref="PlistString"/>.</summary>
    String,

    /// <summary>A <see cref="PlistInteger"/>.</summary>
    Integer,

    /// <summary>A <see cref="PlistReal"/>.</summary>
    Real,

    /// <summary>A <see cref="PlistBoolean"/>.</summary>
    Boolean,

    /// <summary>A <see cref="PlistDate"/>.</summary>
    Date,

    /// <summary>A <see cref="PlistData"/>.</summary>
    Data,

    /// <summary>A <see cref="PlistUid"/> (keyed-archive object reference).</summary>
    Uid,
}
