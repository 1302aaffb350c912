using ChatOpsBot.Data;

namespace ChatOpsBot.Features.Links;

/// <summary>What a link can do now; anything but <see cref="Ready"/> says why it cannot install.</summary>
internal enum LinkStatus
{
    Ready,
    Expired,
    Revoked,
    BuildRevoked,
    DownloadLimitReached,
    ProfileExpired,
}

/// <summary>
/// A token that matched a link, with what it points at: one build, or for a link for both phones the iOS build and
/// the Android one in <see cref="Second"/>.
/// </summary>
internal sealed record ResolvedLink(InstallLink Link, Build Build, App App, string Token, LinkStatus Status, int Downloads)
{
    /// <summary>The Android build of a link for both phones; null for a link to one build.</summary>
    public Build? Second { get; init; }

    /// <summary>The link's build for the platform (ios or android), or null when it covers none.</summary>
    public Build? BuildFor(string platform) =>
        Build.Platform == platform ? Build : Second?.Platform == platform ? Second : null;

    /// <summary>The platforms the link covers, iOS first.</summary>
    public IReadOnlyList<string> Platforms => Second is null ? [Build.Platform] : [Build.Platform, Second.Platform];
}

/// <summary>What the manifest needs of a link and its build.</summary>
internal sealed record ManifestLink(long LinkId, LinkStatus Status, bool HasIcon, string BundleId, string Version, string BuildNumber, string DisplayName, string Channel);
