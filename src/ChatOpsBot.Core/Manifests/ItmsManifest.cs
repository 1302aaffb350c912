using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Manifests;

/// <summary>The over-the-air install manifest iOS fetches after an itms-services tap, and the link that starts it.</summary>
public static class ItmsManifest
{
    private const string ItmsPrefix = "itms-services://?action=download-manifest&url=";

    /// <summary>
    /// The manifest as an XML property list. Every value goes through the property-list writer, so titles such as
    /// "Tom &amp; Jerry" stay well-formed.
    /// </summary>
    public static byte[] Create(ManifestContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var assets = new PlistArray
        {
            new PlistDictionary { ["kind"] = "software-package", ["url"] = content.IpaUrl },
        };
        if (content.IconUrl is { } icon)
        {
            assets.Add(new PlistDictionary { ["kind"] = "display-image", ["url"] = icon });
            assets.Add(new PlistDictionary { ["kind"] = "full-size-image", ["url"] = icon });
        }
        var item = new PlistDictionary
        {
            ["assets"] = assets,
            ["metadata"] = new PlistDictionary
            {
                ["bundle-identifier"] = content.BundleId,
                ["bundle-version"] = content.BundleVersion,
                ["kind"] = "software",
                ["title"] = content.Title,
                ["subtitle"] = content.Subtitle,
            },
        };
        return Plist.ToXml(new PlistDictionary { ["items"] = new PlistArray { item } });
    }

    /// <summary>
    /// The index of the first character a manifest cannot carry, or null when it can carry them all. XML 1.0 has no
    /// C0 control characters other than tab, line feed and carriage return, no U+FFFE or U+FFFF, and no lone
    /// surrogates; the property-list writer refuses them, so a build whose metadata holds one is refused at upload.
    /// </summary>
    public static int? FindUnwritable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is < ' ' and not ('\t' or '\n' or '\r') or '\uFFFE' or '\uFFFF')
                return i;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return i;
        }
        return null;
    }

    /// <summary>
    /// <c>itms-services://?action=download-manifest&amp;url=</c> plus the manifest URL percent-encoded once, so
    /// nothing in it can be read as a second parameter.
    /// </summary>
    public static string ItmsServicesUrl(string manifestUrl) => ItmsPrefix + Uri.EscapeDataString(manifestUrl);

    /// <summary>The manifest URL an itms-services link points at, or null when it is not one of ours.</summary>
    public static string? ManifestUrlOf(string itmsServicesUrl) =>
        itmsServicesUrl.StartsWith(ItmsPrefix, StringComparison.Ordinal) ? Uri.UnescapeDataString(itmsServicesUrl[ItmsPrefix.Length..]) : null;
}

/// <summary>What goes into a manifest. URLs are absolute https (or loopback http) URLs without a query string.</summary>
public sealed record ManifestContent(
    string IpaUrl,
    string? IconUrl,
    string BundleId,
    string BundleVersion,
    string Title,
    string Subtitle);
