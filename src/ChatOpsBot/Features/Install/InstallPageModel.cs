using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Features.Install;

/// <summary>Why a link can or cannot install right now, in the order the page checks them.</summary>
internal enum InstallPageState
{
    Ready,
    LinkExpired,
    LinkRevoked,
    BuildRevoked,
    DownloadLimitReached,
    ProfileExpired,
}

/// <summary>Everything the install page shows. URLs are absolute, built from ChatOpsBot:PublicBaseUrl only.</summary>
internal sealed record InstallPageModel(
    string AppSlug,
    string AppName,
    string Version,
    string BuildNumber,
    string Channel,
    string? Notes,
    bool HasIcon,
    string InstallPageUrl,
    string ManifestUrl,
    string ItmsServicesUrl,
    string IconUrl,
    string QrCodeUrl,
    string RequestedBy,
    DateTimeOffset ExpiresAt,
    ProvisioningProfileType? ProfileType,
    DateTimeOffset? ProfileExpiresAt,
    int? ProfileDeviceCount,
    InstallPageState State,
    string? DeviceWarning = null)
{
    /// <summary>A link for both phones' <see cref="Platform"/>.</summary>
    public const string BothPlatforms = "both";

    /// <summary>
    /// ios, android, or <see cref="BothPlatforms"/> for a link for both phones: which files the link installs and so
    /// which steps the page shows. For both, the fields above describe the iOS build and <see cref="Android"/> the other.
    /// </summary>
    public string Platform { get; init; } = "ios";

    /// <summary>Android, or both: the APK's address (<c>/i/{token}/app.apk</c>).</summary>
    public string? ApkUrl { get; init; }

    /// <summary>A link for both phones: the Android build's version.</summary>
    public AndroidBuildSummary? Android { get; init; }

    /// <summary>A link for both phones whose iOS build's profile has expired: the iOS install is gone, the APK is not.</summary>
    public bool IosProfileExpired { get; init; }
}

/// <summary>The Android half of a link for both phones, as the page names it.</summary>
internal sealed record AndroidBuildSummary(string Version, string BuildNumber);

/// <summary>Who is looking at the page, as far as the server can tell from the user agent.</summary>
internal enum InstallClient
{
    IosSafari,
    IosInApp,
    Desktop,
    Android,
    /// <summary>A browser inside an Android app (Slack's, Teams' WebView): it may not hand the download to Android's installer.</summary>
    AndroidInApp,
    Other,
}
