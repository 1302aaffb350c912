using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Data;

internal sealed class App
{
    public long Id { get; set; }

    public required string Slug { get; set; }

    public required string DisplayName { get; set; }

    /// <summary>The iOS bundle identifier, fixed by the app's first iOS build; later iOS builds must match it.</summary>
    public string? BundleId { get; set; }

    /// <summary>The Android package name, fixed by the app's first Android build; later Android builds must match it.</summary>
    public string? AndroidPackage { get; set; }

    public string? DefaultChannel { get; set; }

    public DateTime CreatedAt { get; set; }
}

internal enum BuildState
{
    Active,
    Revoked,
}

/// <summary>What a build installs on: the values of <see cref="Build.Platform"/>, as the API shows them.</summary>
internal static class BuildPlatforms
{
    public const string Ios = "ios";
    public const string Android = "android";
}

internal sealed class Build
{
    public long Id { get; set; }

    /// <summary><see cref="BuildPlatforms.Ios"/> (an IPA) or <see cref="BuildPlatforms.Android"/> (an APK).</summary>
    public string Platform { get; set; } = BuildPlatforms.Ios;

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

    /// <summary>How the icon file is served: PNG for IPAs, the APK's own type (PNG, WebP or JPEG) for APKs.</summary>
    public string IconContentType { get; set; } = "image/png";

    /// <summary>Android: the API level the app targets.</summary>
    public int? TargetSdkVersion { get; set; }

    /// <summary>Android: android:debuggable.</summary>
    public bool? Debuggable { get; set; }

    /// <summary>Android: native ABIs (lib/&lt;abi&gt;/), comma-separated; empty for none.</summary>
    public string? Abis { get; set; }

    /// <summary>Android: phone, tv or wear.</summary>
    public string? FormFactor { get; set; }

    /// <summary>Android: the signers' certificates, as JSON [{"subject":…,"sha256":…}].</summary>
    public string? SignersJson { get; set; }

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

    /// <summary>
    /// The profile's UDIDs are in <see cref="BuildDevice"/> rows. False for builds uploaded before devices were
    /// tracked: for them whether a device is included is unknown.
    /// </summary>
    public bool DeviceListStored { get; set; }
}

/// <summary>A personal install link. Only the token's SHA-256 is stored; the token itself is shown once.</summary>
internal sealed class InstallLink
{
    public long Id { get; set; }

    public long BuildId { get; set; }

    public Build Build { get; set; } = null!;

    /// <summary>
    /// A link for both phones: the other platform's build beside <see cref="BuildId"/>, which is then the iOS build
    /// and this the Android one. Null for a link to one build.
    /// </summary>
    public long? SecondBuildId { get; set; }

    public Build? SecondBuild { get; set; }

    /// <summary>SHA-256 of the token's bytes; null once the link is long dead (audit rows stay).</summary>
    public byte[]? TokenHash { get; set; }

    /// <summary>slack, teams or api.</summary>
    public required string Platform { get; set; }

    /// <summary>Slack team id or Teams tenant id, when the link was minted from chat.</summary>
    public string? Workspace { get; set; }

    public required string UserId { get; set; }

    public required string UserName { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public int? MaxDownloads { get; set; }

    public DateTime? RevokedAt { get; set; }
}

internal enum LinkEventKind
{
    PageView,
    ManifestFetch,
}

internal sealed class LinkEvent
{
    public long Id { get; set; }

    public long LinkId { get; set; }

    public LinkEventKind Kind { get; set; }

    public DateTime At { get; set; }

    public string? UserAgent { get; set; }
}

/// <summary>One download of the IPA or APK through a link, however many Range requests it took.</summary>
internal sealed class LinkDownload
{
    public long Id { get; set; }

    public long LinkId { get; set; }

    /// <summary>The build whose file was sent (a link for both phones serves two); null on rows from before, meaning the link's build.</summary>
    public long? BuildId { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime LastActivityAt { get; set; }

    public string? UserAgent { get; set; }

    public long BytesSent { get; set; }

    public bool Completed { get; set; }
}

/// <summary>A conversation that wants an app channel's announcements.</summary>
internal sealed class Subscription
{
    public long Id { get; set; }

    public long AppId { get; set; }

    public App App { get; set; } = null!;

    public required string Channel { get; set; }

    /// <summary>slack or teams.</summary>
    public required string Platform { get; set; }

    public string? Workspace { get; set; }

    public required string ConversationId { get; set; }

    /// <summary>Teams: where proactive messages to the conversation go.</summary>
    public string? ServiceUrl { get; set; }

    public string? ConversationName { get; set; }

    public required string CreatedBy { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A release manager's "this build is out"; one <see cref="AnnouncementDelivery"/> per subscribed conversation.</summary>
internal sealed class Announcement
{
    public long Id { get; set; }

    public long BuildId { get; set; }

    public Build Build { get; set; } = null!;

    public required string AnnouncedBy { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// One announcement to one conversation: the outbox row its delivery job works from. The address is copied from the
/// subscription, so unsubscribing later does not lose track of what was sent where.
/// </summary>
internal sealed class AnnouncementDelivery
{
    public long Id { get; set; }

    public long AnnouncementId { get; set; }

    public Announcement Announcement { get; set; } = null!;

    public required string Platform { get; set; }

    public string? Workspace { get; set; }

    public required string ConversationId { get; set; }

    public string? ServiceUrl { get; set; }

    public string? ConversationName { get; set; }

    public DeliveryState State { get; set; }

    /// <summary>Posts tried so far, the successful one included.</summary>
    public int Attempts { get; set; }

    /// <summary>When a pending delivery is due.</summary>
    public DateTime NextAttemptAt { get; set; }

    /// <summary>Set while a job holds the delivery; only that job records the outcome.</summary>
    public string? ClaimToken { get; set; }

    /// <summary>A claim older than this was lost with its job (a crash, a restart) and may be taken over.</summary>
    public DateTime? ClaimExpiresAt { get; set; }

    public string? LastError { get; set; }

    public DateTime? DeliveredAt { get; set; }

    /// <summary>Slack's ts or Teams' activity id of the posted message.</summary>
    public string? MessageId { get; set; }
}
