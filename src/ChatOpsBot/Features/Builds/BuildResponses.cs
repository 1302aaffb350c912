using ChatOpsBot.Core.Builds;
using ChatOpsBot.Data;

namespace ChatOpsBot.Features.Builds;

internal sealed record BuildResponse(
    long Id,
    string App,
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
    ProfileResponse? Profile)
{
    public static BuildResponse From(Build build, string appSlug) => new(
        build.Id, appSlug, build.Channel, build.Version, build.BuildNumber, build.BundleId, build.DisplayName,
        build.MinimumOsVersion, build.Sha256, build.Size, build.UploadedAt, build.UploadedBy, build.Notes, build.State,
        build.IconSha256 is not null,
        build.ProfileType is { } type
            ? new ProfileResponse(type, build.ProfileName, build.ProfileTeamName, build.ProfileTeamId, build.ProfileExpiresAt, build.ProfileDeviceCount ?? 0)
            : null);
}

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
    string BundleId,
    string? DefaultChannel,
    IReadOnlyList<ChannelResponse> Channels);

internal sealed record ChannelResponse(string Name, int ActiveBuilds, DateTime LatestUploadAt);
