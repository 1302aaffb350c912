using System.Text.RegularExpressions;

namespace ChatOpsBot.Core.Devices;

/// <summary>
/// Apple device identifiers: 40 hex digits before 2018, 8-16 hex digits with a hyphen since (some tools drop it), and
/// UUIDs for Intel Macs. Compared ignoring case and hyphens, as App Store Connect does; shown as the device spelt it.
/// </summary>
public static partial class Udid
{
    public static bool IsValid(string? value) => value is { Length: <= 64 } && Shape().IsMatch(value);

    /// <summary>The form two spellings of one device share: upper case, no hyphens.</summary>
    public static string Normalize(string value) => value.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();

    public static bool SameDevice(string left, string right) =>
        string.Equals(Normalize(left), Normalize(right), StringComparison.Ordinal);

    [GeneratedRegex(@"^(?:[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
