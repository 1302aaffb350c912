using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Data;

internal sealed class App
{
    public long Id { get; set; }

    public required string Slug { get; set; }

    public required string DisplayName { get; set; }

    /// <summary>Fixed by the app's first build; later builds must match it.</summary>
    public required string BundleId { get; set; }

    public string? DefaultChannel { get; set; }

    public DateTime CreatedAt { get; set; }
}

internal enum BuildState
{
    Active,
    Revoked,
}

internal sealed class Build
{
    public long Id { get; set; }

    public long AppId { get; set; }

    public App App { get; set; } = null!;

    public required string Channel { get; set; }

    public required string Version { get; set; }

    public required string BuildNumber { get; set; }

    public required string BundleId { get; set; }

    public required string DisplayName { get; set; }

    public string? MinimumOsVersion { get; set; }

    /// <summary>UIDeviceFamily values, comma-separated (1 iPhone, 2 iPad).</summary>
    public string DeviceFamilies { get; set; } = "";

    public required string Sha256 { get; set; }

    public long Size { get; set; }

    public string? IconSha256 { get; set; }

    public DateTime UploadedAt { get; set; }

    public required string UploadedBy { get; set; }

    public string? Notes { get; set; }

    public BuildState State { get; set; }

    public DateTime? RevokedAt { get; set; }

    public ProvisioningProfileType? ProfileType { get; set; }

    public string? ProfileName { get; set; }

    public string? ProfileTeamName { get; set; }

    public string? ProfileTeamId { get; set; }

    public DateTime? ProfileExpiresAt { get; set; }

    public int? ProfileDeviceCount { get; set; }
}
