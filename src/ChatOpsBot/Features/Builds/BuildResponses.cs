using System.Text.Json;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Data;

namespace ChatOpsBot.Features.Builds;

internal sealed record BuildResponse(
    long Id,
    string App,
    string Platform,
    string Channel,
    string Version,
    string BuildNumber,
    string BundleId,
    string DisplayName,
    string? MinimumOsVersion,
    string Sha256,
    long Size,
    DateTime UploadedAt,
    string UploadedBy,
    string? Notes,
    BuildState State,
    bool HasIcon,
    ProfileResponse? Profile,
    AndroidResponse? Android)
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
    IReadOnlyList<string> Abis,
    string FormFactor,
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
