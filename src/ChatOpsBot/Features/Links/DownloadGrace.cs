namespace ChatOpsBot.Features.Links;

/// <summary>
/// When a link's IPA may still be sent. A live link serves, and so does one whose downloads are used up, for the
/// unfinished download that may go on; after expiry only a download that began in time may continue, with ranges,
/// until the grace period (<c>ChatOpsBot:Links:DownloadGrace</c>) ends. The install endpoints and
/// <see cref="InstallLinks"/> both ask here, so the IPA route and the reservation cannot disagree.
/// </summary>
internal static class DownloadGrace
{
    /// <summary>Whether the IPA may be asked for at all: wherever a download could run or continue.</summary>
    public static bool MayServe(LinkStatus status, DateTime expiresAt, TimeSpan grace, DateTime now) => status switch
    {
        LinkStatus.Ready or LinkStatus.DownloadLimitReached => true,
        LinkStatus.Expired => now < expiresAt + grace,
        _ => false,
    };

    /// <summary>
    /// Whether a response may describe the file (a HEAD, or the size in an unsatisfiable range's answer): only while
    /// the link is live, since past its end that would tell anyone the file's size and hash.
    /// </summary>
    public static bool MayDescribeFile(LinkStatus status) => status == LinkStatus.Ready;

    /// <summary>Whether a request may take bytes: a new download only on a live link; past expiry only a range, in the grace.</summary>
    public static bool MayReserve(LinkStatus status, bool partial, DateTime expiresAt, TimeSpan grace, DateTime now) =>
        MayServe(status, expiresAt, grace, now) && (status != LinkStatus.Expired || partial);

    /// <summary>Whether an unfinished download may go on: past expiry, only one that began before it.</summary>
    public static bool MayContinue(LinkStatus status, DateTime downloadStartedAt, DateTime expiresAt) =>
        status != LinkStatus.Expired || downloadStartedAt < expiresAt;

    /// <summary>Past expiry nothing new starts; only an unfinished download may continue.</summary>
    public static bool MayStart(LinkStatus status) => status != LinkStatus.Expired;
}
