using ChatOpsBot.Features.Links;

namespace ChatOpsBot.Tests;

/// <summary>
/// The download-grace rule alone: the IPA route asks <see cref="DownloadGrace.MayServe"/>, the reservation
/// <see cref="DownloadGrace.MayReserve"/>, and the two must never disagree about a download that may go on.
/// </summary>
public sealed class DownloadGraceTests
{
    private static readonly DateTime ExpiresAt = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Grace = TimeSpan.FromHours(2);

    [Fact]
    public void AReservationIsNeverGrantedWhereTheIpaMayNotBeServed()
    {
        TimeSpan[] afterExpiry = [-TimeSpan.FromHours(1), TimeSpan.Zero, Grace - TimeSpan.FromTicks(1), Grace, Grace + TimeSpan.FromDays(1)];
        var disagreements =
            from status in Enum.GetValues<LinkStatus>()
            from partial in new[] { false, true }
            from offset in afterExpiry
            let now = ExpiresAt + offset
            where DownloadGrace.MayReserve(status, partial, ExpiresAt, Grace, now) && !DownloadGrace.MayServe(status, ExpiresAt, Grace, now)
            select $"{status} partial={partial} {offset}";
        Assert.Empty(disagreements);
    }

    [Fact]
    public void AnExpiredLinksRangeMayContinueUntilTheGraceEndsAndNotAtItsEnd()
    {
        Assert.True(DownloadGrace.MayReserve(LinkStatus.Expired, partial: true, ExpiresAt, Grace, ExpiresAt + Grace - TimeSpan.FromSeconds(1)));
        Assert.False(DownloadGrace.MayReserve(LinkStatus.Expired, partial: true, ExpiresAt, Grace, ExpiresAt + Grace));
        Assert.False(DownloadGrace.MayServe(LinkStatus.Expired, ExpiresAt, Grace, ExpiresAt + Grace));
    }

    [Fact]
    public void AnExpiredLinkStartsNoNewDownloadAndContinuesOnlyOneBegunBeforeExpiry()
    {
        Assert.False(DownloadGrace.MayReserve(LinkStatus.Expired, partial: false, ExpiresAt, Grace, ExpiresAt));
        Assert.False(DownloadGrace.MayStart(LinkStatus.Expired));
        Assert.True(DownloadGrace.MayContinue(LinkStatus.Expired, ExpiresAt - TimeSpan.FromSeconds(1), ExpiresAt));
        Assert.False(DownloadGrace.MayContinue(LinkStatus.Expired, ExpiresAt, ExpiresAt));
    }

    [Fact]
    public void ARevokedLinkOrBuildOrAnExpiredProfileServesNoByteBeforeExpiry()
    {
        var before = ExpiresAt - TimeSpan.FromMinutes(1);
        Assert.All(new[] { LinkStatus.Revoked, LinkStatus.BuildRevoked, LinkStatus.ProfileExpired }, status =>
        {
            Assert.False(DownloadGrace.MayServe(status, ExpiresAt, Grace, before));
            Assert.False(DownloadGrace.MayReserve(status, partial: true, ExpiresAt, Grace, before));
        });
    }

    [Fact]
    public void OnlyALiveLinkDescribesItsFile()
    {
        Assert.True(DownloadGrace.MayDescribeFile(LinkStatus.Ready));
        Assert.All(Enum.GetValues<LinkStatus>().Where(s => s != LinkStatus.Ready), s => Assert.False(DownloadGrace.MayDescribeFile(s)));
    }
}
