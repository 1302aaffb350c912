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
