using ChatOpsBot.Data;

namespace ChatOpsBot.Features.Links;

/// <summary>A freshly minted link. The token exists only here: the database keeps its hash.</summary>
internal sealed record MintedLink(InstallLink Link, string Token, string InstallPageUrl, string ManifestUrl, string ItmsServicesUrl, string QrCodeUrl)
{
    /// <summary>The builds the link covers: one, or for a link for both phones the iOS build and then the Android one.</summary>
    public IReadOnlyList<LinkBuild> Builds { get; init; } = [];
}

/// <summary>A build a link covers, and its platform (ios or android).</summary>
internal sealed record LinkBuild(long Id, string Platform);

/// <summary>Why no link was minted.</summary>
internal enum MintRefusal
{
    UnknownApp,
    NoActiveBuild,
    UnknownBuild,
    BuildRevoked,
    InvalidDownloadCap,
    /// <summary>The request named a platform other than ios or android.</summary>
    PlatformNeeded,
}

/// <summary>
/// What asking for a link came to: the minted link, or the refusal with a sentence that says why. The HTTP API
/// translates a refusal into ProblemDetails, chat into a sentence of its own.
/// </summary>
internal sealed record MintResult
{
    private MintResult(MintedLink? minted, MintRefusal? refusal, string? reason) => (Minted, Refusal, Reason) = (minted, refusal, reason);

    public MintedLink? Minted { get; }

    /// <summary>Set exactly when <see cref="Minted"/> is null.</summary>
    public MintRefusal? Refusal { get; }

    /// <summary>Why there is no link, in a sentence for whoever asked; null when a link was minted.</summary>
    public string? Reason { get; }

    public static MintResult Of(MintedLink minted) => new(minted, null, null);

    public static MintResult Refused(MintRefusal refusal, string reason) => new(null, refusal, reason);
}
