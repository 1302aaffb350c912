using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Builds;

public enum ProvisioningProfileType
{
    Unknown,
    Development,
    AdHoc,
    Enterprise,
    AppStore,
}

// Dates are UTC, as property lists store them. Comparing them with "now" is the caller's business (with a TimeProvider).
public sealed record ProvisioningProfileSummary(
    ProvisioningProfileType Type,
    string? Name,
    string? TeamName,
    string? TeamId,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? ExpiresAt,
    int DeviceCount,
    bool ProvisionsAllDevices,
    bool GetTaskAllow,
    bool BetaReportsActive)
{
    /// <summary>The UDIDs of an ad-hoc or development profile, as the profile spells them.</summary>
    public IReadOnlyList<string> ProvisionedDevices { get; init; } = [];

    // The device list compares by its items, so two readings of one profile are equal.
    public bool Equals(ProvisioningProfileSummary? other) =>
        other is not null && Type == other.Type && Name == other.Name && TeamName == other.TeamName && TeamId == other.TeamId
        && CreatedAt == other.CreatedAt && ExpiresAt == other.ExpiresAt && DeviceCount == other.DeviceCount
        && ProvisionsAllDevices == other.ProvisionsAllDevices && GetTaskAllow == other.GetTaskAllow
        && BetaReportsActive == other.BetaReportsActive && ProvisionedDevices.SequenceEqual(other.ProvisionedDevices);

    public override int GetHashCode() => HashCode.Combine(Type, Name, TeamId, ExpiresAt, DeviceCount);
}

internal static class ProvisioningProfileReader
{
    public static ProvisioningProfileSummary Read(ReadOnlyMemory<byte> file)
    {
        PlistDictionary profile;
        try
        {
            profile = Plist.ParseDictionary(ExtractPlist(file));
        }
        catch (PropertyListFormatException e)
        {
            throw Invalid($"its property list is malformed ({e.Message})");
        }

        var entitlements = profile.GetDictionary("Entitlements");
        var getTaskAllow = entitlements?.GetBoolean("get-task-allow") ?? false;
        var betaReports = entitlements?.GetBoolean("beta-reports-active") ?? false;
        var allDevices = profile.GetBoolean("ProvisionsAllDevices") ?? false;
        var devices = profile.GetArray("ProvisionedDevices");
        var teamId = First(profile.GetStrings("TeamIdentifier"))
            ?? entitlements?.GetString("com.apple.developer.team-identifier")
            ?? First(profile.GetStrings("ApplicationIdentifierPrefix"));

        // First match wins (formats.md 6): a development profile may also carry a device list, and App Store
        // profiles are recognisable only by having beta reports and no devices.
        var type = getTaskAllow ? ProvisioningProfileType.Development
            : allDevices ? ProvisioningProfileType.Enterprise
            : devices is not null ? ProvisioningProfileType.AdHoc
            : betaReports ? ProvisioningProfileType.AppStore
            : ProvisioningProfileType.Unknown;

        return new(
            type,
            profile.GetString("Name"),
            profile.GetString("TeamName"),
            teamId,
            AsUtc(profile.GetDate("CreationDate")),
            AsUtc(profile.GetDate("ExpirationDate")),
            devices?.Count ?? 0,
            allDevices,
            getTaskAllow,
            betaReports)
        {
            ProvisionedDevices = devices is null ? [] : [.. devices.OfType<PlistString>().Select(d => d.Value).Where(d => d.Length is > 0 and <= 64)],
        };
    }

    private static ReadOnlyMemory<byte> ExtractPlist(ReadOnlyMemory<byte> file)
    {
        // Some tools store the plist bare, XML or binary (app_info's fixtures include both).
        if (Plist.TryDetectFormat(file.Span, out _))
            return file;
        try
        {
            // SignedCms reads DER and BER (Apple's own profiles are often indefinite-length BER with a chunked
            // OCTET STRING, which substring hacks corrupt). No signature check: without Apple's roots it would
            // prove nothing about origin, and iOS verifies the profile itself at install time.
            var cms = new SignedCms();
            cms.Decode(file.Span);
            if (cms.ContentInfo.ContentType.Value != "1.2.840.113549.1.7.1")
                throw Invalid("its signed content is not data");
            return cms.ContentInfo.Content;
        }
        catch (CryptographicException e)
        {
            throw Invalid($"it is neither a CMS envelope nor a property list ({e.Message})");
        }
    }

    private static string? First(IReadOnlyList<string>? values) => values is { Count: > 0 } ? values[0] : null;

    private static DateTimeOffset? AsUtc(DateTime? value) =>
        value is { } date ? new DateTimeOffset(DateTime.SpecifyKind(date, DateTimeKind.Utc)) : null;

    private static IpaRejectedException Invalid(string why) =>
        new(IpaRejectionReason.InvalidProfile, $"The app's embedded.mobileprovision cannot be read: {why}.");
}
