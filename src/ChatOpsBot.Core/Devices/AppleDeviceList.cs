using System.Text;

namespace ChatOpsBot.Core.Devices;

/// <summary>One line of Apple's bulk device upload file.</summary>
public sealed record AppleDeviceEntry(string Udid, string Name, string Platform = "ios");

/// <summary>
/// Apple's "Register Multiple Devices" text file: a header, then one tab-separated line per device (devices.md 5.7).
/// Names are at most 50 characters without tabs or line breaks; a device listed twice (in either spelling) once.
/// </summary>
public static class AppleDeviceList
{
    public const string Header = "Device ID\tDevice Name\tDevice Platform";
    public const int MaxNameLength = 50;

    public static string Write(IEnumerable<AppleDeviceEntry> devices)
    {
        var text = new StringBuilder(Header).Append('\n');
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in devices)
        {
            if (!Udid.IsValid(device.Udid) || !seen.Add(Udid.Normalize(device.Udid)))
                continue;
            text.Append(device.Udid).Append('\t').Append(Name(device.Name)).Append('\t').Append(device.Platform).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The name as Apple takes it: control characters become spaces, and it is cut to 50 characters.</summary>
    public static string Name(string name)
    {
        var clean = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
            clean.Append(char.IsControl(c) ? ' ' : c);
        var result = clean.ToString().Trim();
        if (result.Length > MaxNameLength)
            result = result[..MaxNameLength].TrimEnd();
        // A cut between the two halves of a surrogate pair would leave half a character.
        if (result.Length > 0 && char.IsHighSurrogate(result[^1]))
            result = result[..^1];
        return result.Length == 0 ? "Device" : result;
    }
}
