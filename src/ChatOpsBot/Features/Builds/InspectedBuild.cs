using System.Globalization;
using System.Text.Json;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Builds.Android;
using ChatOpsBot.Core.Devices;
using ChatOpsBot.Data;

namespace ChatOpsBot.Features.Builds;

/// <summary>What the registry keeps of an accepted IPA or APK, in the build row's terms.</summary>
internal sealed record InspectedBuild(
    string Platform,
    string Identifier,
    string DisplayName,
    string Version,
    string BuildNumber,
    string? MinimumOsVersion,
    ReadOnlyMemory<byte>? Icon,
    string IconContentType,
    Action<Build> Describe)
{
    /// <summary>The UDIDs of an iOS build's ad-hoc or development profile, normalised; none for Android.</summary>
    public IReadOnlyList<string> ProvisionedDevices { get; init; } = [];

    public static InspectedBuild From(IpaInspection ipa) => new(
        BuildPlatforms.Ios, ipa.BundleId, ipa.DisplayName, ipa.ShortVersion ?? "", ipa.BuildNumber ?? "", ipa.MinimumOsVersion,
        ipa.Icon?.Png, "image/png", build =>
        {
            build.DeviceFamilies = string.Join(',', ipa.DeviceFamilies);
            build.ProfileType = ipa.Profile?.Type;
            build.ProfileName = ipa.Profile?.Name;
            build.ProfileTeamName = ipa.Profile?.TeamName;
            build.ProfileTeamId = ipa.Profile?.TeamId;
            build.ProfileExpiresAt = ipa.Profile?.ExpiresAt?.UtcDateTime;
            build.ProfileDeviceCount = ipa.Profile?.DeviceCount;
            build.DeviceListStored = true;
        })
    {
        ProvisionedDevices = [.. (ipa.Profile?.ProvisionedDevices ?? []).Select(Udid.Normalize).Distinct(StringComparer.Ordinal)],
    };

    public static InspectedBuild From(ApkInspection apk) => new(
        BuildPlatforms.Android, apk.Package, apk.Label, apk.VersionName ?? "",
        apk.LongVersionCode.ToString(CultureInfo.InvariantCulture),
        apk.MinSdkVersion.ToString(CultureInfo.InvariantCulture),
        apk.Icon?.Bytes, apk.Icon?.ContentType ?? "image/png", build =>
        {
            build.TargetSdkVersion = apk.TargetSdkVersion;
            build.Debuggable = apk.Debuggable;
            build.Abis = string.Join(',', apk.Abis);
            build.FormFactor = FormFactorName(apk.FormFactor);
            build.SignersJson = JsonSerializer.Serialize(apk.Signers.Select(s => new SignerResponse(s.Subject, s.Sha256)).ToArray(), JsonSerializerOptions.Web);
        });

    public static string FormFactorName(ApkFormFactor formFactor) => formFactor switch
    {
        ApkFormFactor.Tv => "tv",
        ApkFormFactor.Wear => "wear",
        _ => "phone",
    };
}
