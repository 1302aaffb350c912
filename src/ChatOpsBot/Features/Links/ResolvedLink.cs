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

/// <summary>A token that matched a link, with what it points at.</summary>
internal sealed record ResolvedLink(InstallLink Link, Build Build, App App, string Token, LinkStatus Status, int Downloads);

/// <summary>What the manifest needs of a link and its build.</summary>
internal sealed record ManifestLink(long LinkId, LinkStatus Status, bool HasIcon, string BundleId, string Version, string BuildNumber, string DisplayName, string Channel);
