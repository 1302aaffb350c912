using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Core.Chat;

/// <summary>What the chat engine needs from the registry; the host implements it over its database.</summary>
public interface IChatCatalog
{
    Task<IReadOnlyList<CatalogApp>> ListAppsAsync(CancellationToken cancellationToken);

    /// <summary>The app with exactly this slug, as <see cref="ListAppsAsync"/> would list it; null when there is none.</summary>
    Task<CatalogApp?> FindAppAsync(string slug, CancellationToken cancellationToken);

    /// <summary>
    /// The newest active build of each platform of an app in a channel (iOS first, then Android): for each platform,
    /// the first active one <see cref="ListBuildsAsync"/> would list. Empty when the channel has no active build.
    /// </summary>
    Task<IReadOnlyList<CatalogBuild>> NewestActiveBuildsAsync(string appSlug, string channel, CancellationToken cancellationToken);

    /// <summary>Builds of an app, newest first, active and revoked.</summary>
    Task<IReadOnlyList<CatalogBuild>> ListBuildsAsync(string appSlug, string? channel, int take, CancellationToken cancellationToken);

    Task<CatalogBuild?> GetBuildAsync(long buildId, CancellationToken cancellationToken);

    /// <summary>Mints a personal link for an active build, or says why it cannot (the build went away or was revoked meanwhile).</summary>
    Task<CatalogMint> MintLinkAsync(long buildId, ChatUser user, CancellationToken cancellationToken);

    /// <summary>
    /// Mints one personal link for both phones, covering an active iOS build and an active Android build: its page
    /// offers whichever fits the phone that opens it. Refused when either went away or was revoked meanwhile.
    /// </summary>
    Task<CatalogMint> MintLinkAsync(long iosBuildId, long androidBuildId, ChatUser user, CancellationToken cancellationToken);

    /// <summary>Revokes a build and with it every live link; returns how many links stopped working.</summary>
    Task<int> RevokeBuildAsync(long buildId, CancellationToken cancellationToken);
}

public sealed record CatalogApp(string Slug, string DisplayName, string? DefaultChannel, IReadOnlyList<CatalogChannel> Channels);

/// <summary>A channel of an app with its active builds.</summary>
public sealed record CatalogChannel(string Name, int ActiveBuilds, DateTimeOffset LatestUploadAt);

public sealed record CatalogBuild(
    long Id,
    string AppSlug,
    string DisplayName,
    string Channel,
    string Version,
    string BuildNumber,
    string? Notes,
    DateTimeOffset UploadedAt,
    bool IsActive,
    ProvisioningProfileType? ProfileType,
    DateTimeOffset? ProfileExpiresAt,
    int? ProfileDeviceCount)
{
    /// <summary><see cref="CatalogPlatforms.Ios"/> or <see cref="CatalogPlatforms.Android"/>.</summary>
    public string Platform { get; init; } = CatalogPlatforms.Ios;

    /// <summary>"iOS" or "Android", as chat shows it next to the version.</summary>
    public string PlatformName => CatalogPlatforms.NameOf(Platform);
}

/// <summary>What a build installs on, as the registry stores it.</summary>
public static class CatalogPlatforms
{
    public const string Ios = "ios";
    public const string Android = "android";

    public static string NameOf(string platform) => platform == Android ? "Android" : "iOS";

    /// <summary>"iOS", "Android" or "iOS and Android": what a link covers, as chat says it.</summary>
    public static string NamesOf(IEnumerable<string> platforms) => string.Join(" and ", platforms.Distinct().OrderBy(p => p == Ios ? 0 : 1).Select(NameOf));

    /// <summary>The platform a word typed in chat names ("ios", "iphone", "ipad", "android"), or null.</summary>
    public static string? Parse(string word) => word.ToLowerInvariant() switch
    {
        "ios" or "iphone" or "ipad" => Ios,
        "android" => Android,
        _ => null,
    };
}

public sealed record CatalogLink(string InstallPageUrl, string QrCodeUrl, DateTimeOffset ExpiresAt)
{
    /// <summary>The link's id in the registry, so the message that carries it can be updated once it dies.</summary>
    public long? LinkId { get; init; }
}

/// <summary>Why a build got no link: it no longer exists, or it has been revoked.</summary>
public enum LinkRefusal
{
    BuildGone,
    BuildRevoked,
}

/// <summary>A minted link, or the reason there is none.</summary>
public sealed record CatalogMint(CatalogLink? Link, LinkRefusal? Refusal)
{
    public static CatalogMint Of(CatalogLink link) => new(link, null);

    public static CatalogMint Refused(LinkRefusal refusal) => new(null, refusal);
}
