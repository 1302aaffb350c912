using System.ComponentModel;
using System.Text.Json;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Data;

namespace ChatOpsBot.Features.Builds;

internal sealed record BuildResponse(
    long Id,
    string App,
    [property: Description("ios (an IPA) or android (an APK).")] string Platform,
    string Channel,
    [property: Description("CFBundleShortVersionString; for Android, versionName.")] string Version,
    [property: Description("CFBundleVersion; for Android, versionCode (with versionCodeMajor in the high 32 bits).")] string BuildNumber,
    [property: Description("The bundle identifier; for Android, the package name.")] string BundleId,
    [property: Description("The app's name; for Android, its label.")] string DisplayName,
    [property: Description("MinimumOSVersion; for Android, the minimum API level (\"21\").")] string? MinimumOsVersion,
    string Sha256,
    long Size,
    DateTime UploadedAt,
    string UploadedBy,
    string? Notes,
    BuildState State,
    bool HasIcon,
    [property: Description("iOS: the embedded provisioning profile.")] ProfileResponse? Profile,
    [property: Description("Android only: what the APK says about itself beyond the common fields.")] AndroidResponse? Android)
{
    public static BuildResponse From(Build build, string appSlug) => new(
        build.Id, appSlug, build.Platform, build.Channel, build.Version, build.BuildNumber, build.BundleId, build.DisplayName,
        build.MinimumOsVersion, build.Sha256, build.Size, build.UploadedAt, build.UploadedBy, build.Notes, build.State,
        build.IconSha256 is not null,
        build.ProfileType is { } type
            ? new ProfileResponse(type, build.ProfileName, build.ProfileTeamName, build.ProfileTeamId, build.ProfileExpiresAt, build.ProfileDeviceCount ?? 0)
            : null,
        build.Platform == BuildPlatforms.Android
            ? new AndroidResponse(build.TargetSdkVersion ?? 0, build.Debuggable ?? false,
                string.IsNullOrEmpty(build.Abis) ? [] : build.Abis.Split(','), build.FormFactor ?? "phone",
                build.SignersJson is { } signers ? JsonSerializer.Deserialize<SignerResponse[]>(signers, JsonSerializerOptions.Web) ?? [] : [])
            : null);
}

/// <summary>What an Android build says about itself beyond the fields every build has.</summary>
internal sealed record AndroidResponse(
    int TargetSdkVersion,
    bool Debuggable,
    [property: Description("Native ABIs from lib/<abi>/; empty for none.")] IReadOnlyList<string> Abis,
    [property: Description("phone (phone or tablet), tv (android.software.leanback) or wear (android.hardware.type.watch).")] string FormFactor,
    IReadOnlyList<SignerResponse> Signers);

/// <summary>A signer's certificate: its subject and the SHA-256 of its DER encoding (lowercase hex, as apksigner prints).</summary>
internal sealed record SignerResponse(string Subject, string Sha256);

internal sealed record ProfileResponse(
    ProvisioningProfileType Type,
    string? Name,
    string? TeamName,
    string? TeamId,
    DateTime? ExpiresAt,
    int DeviceCount);

internal sealed record AppResponse(
    string Slug,
    string DisplayName,
    string? BundleId,
    string? AndroidPackage,
    string? DefaultChannel,
    IReadOnlyList<ChannelResponse> Channels);

internal sealed record ChannelResponse(string Name, int ActiveBuilds, DateTime LatestUploadAt);
