namespace ChatOpsBot.Features.Links;

/// <summary>The bytes one IPA response would send, of a file of <see cref="FileSize"/> bytes.</summary>
internal readonly record struct ByteRangeRequest(long Length, bool Partial, long FileSize);

/// <summary>Bytes counted on a download before they are sent, so concurrent requests cannot all pass a cap.</summary>
internal sealed record DownloadReservation(long DownloadId, long Bytes);

/// <summary>The reservation for one response, or why the link may not send those bytes.</summary>
internal sealed record ReservationResult(DownloadReservation? Reservation, LinkStatus Refusal)
{
    public static ReservationResult Of(DownloadReservation reservation) => new(reservation, LinkStatus.Ready);

    public static ReservationResult Refused(LinkStatus refusal) => new(null, refusal);
}
