using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace ChatOpsBot.Core.Devices;

/// <summary>Readable names for reported devices, such as "iPhone 15 Pro (iOS 18.1)".</summary>
public static partial class DeviceNames
{
    // Apple's machine identifiers of recent iPhones. Anything not listed is named by its family and identifier.
    private static readonly FrozenDictionary<string, string> Models = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["iPhone10,1"] = "iPhone 8", ["iPhone10,4"] = "iPhone 8", ["iPhone10,2"] = "iPhone 8 Plus", ["iPhone10,5"] = "iPhone 8 Plus",
        ["iPhone10,3"] = "iPhone X", ["iPhone10,6"] = "iPhone X",
        ["iPhone11,2"] = "iPhone XS", ["iPhone11,4"] = "iPhone XS Max", ["iPhone11,6"] = "iPhone XS Max", ["iPhone11,8"] = "iPhone XR",
        ["iPhone12,1"] = "iPhone 11", ["iPhone12,3"] = "iPhone 11 Pro", ["iPhone12,5"] = "iPhone 11 Pro Max", ["iPhone12,8"] = "iPhone SE (2nd generation)",
        ["iPhone13,1"] = "iPhone 12 mini", ["iPhone13,2"] = "iPhone 12", ["iPhone13,3"] = "iPhone 12 Pro", ["iPhone13,4"] = "iPhone 12 Pro Max",
        ["iPhone14,2"] = "iPhone 13 Pro", ["iPhone14,3"] = "iPhone 13 Pro Max", ["iPhone14,4"] = "iPhone 13 mini", ["iPhone14,5"] = "iPhone 13",
        ["iPhone14,6"] = "iPhone SE (3rd generation)", ["iPhone14,7"] = "iPhone 14", ["iPhone14,8"] = "iPhone 14 Plus",
        ["iPhone15,2"] = "iPhone 14 Pro", ["iPhone15,3"] = "iPhone 14 Pro Max", ["iPhone15,4"] = "iPhone 15", ["iPhone15,5"] = "iPhone 15 Plus",
        ["iPhone16,1"] = "iPhone 15 Pro", ["iPhone16,2"] = "iPhone 15 Pro Max",
        ["iPhone17,1"] = "iPhone 16 Pro", ["iPhone17,2"] = "iPhone 16 Pro Max", ["iPhone17,3"] = "iPhone 16", ["iPhone17,4"] = "iPhone 16 Plus", ["iPhone17,5"] = "iPhone 16e",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The model's marketing name, or its family and identifier when it is not known here.</summary>
    public static string Model(string? product)
    {
        if (string.IsNullOrWhiteSpace(product))
            return "Apple device";
        if (Models.TryGetValue(product, out var name))
            return name;
        var family = Family(product);
        return family is null ? product : $"{family} ({product})";
    }

    /// <summary>For example "iPhone 15 Pro (iOS 18.1)"; VERSION is opaque, so a build number is shown as one.</summary>
    public static string Describe(string? product, string? version)
    {
        var model = Model(product);
        if (string.IsNullOrWhiteSpace(version))
            return model;
        var system = Family(product) == "iPad" ? "iPadOS" : "iOS";
        return MarketingVersion().IsMatch(version) ? $"{model} ({system} {version})" : $"{model} ({system} build {version})";
    }

    private static string? Family(string? product) =>
        product is null ? null
        : product.StartsWith("iPhone", StringComparison.Ordinal) ? "iPhone"
        : product.StartsWith("iPad", StringComparison.Ordinal) ? "iPad"
        : product.StartsWith("iPod", StringComparison.Ordinal) ? "iPod touch"
        : null;

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){0,2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex MarketingVersion();
}
