using System.Buffers.Binary;

namespace ChatOpsBot.Core.Builds;

// ZipArchive materialises every central-directory entry before we can count them, so the end-of-central-directory
// record's claims are checked first. The count is re-checked after opening, in case the record lies.
internal static class ZipDirectoryCheck
{
    private const uint EndSignature = 0x06054b50, Zip64LocatorSignature = 0x07064b50, Zip64EndSignature = 0x06064b50;
    private const int EndLength = 22, Zip64LocatorLength = 20, Zip64EndLength = 56, MaxCommentLength = 0xFFFF;

    public static async Task CheckAsync(Stream zip, IpaLimits limits, CancellationToken cancellationToken)
    {
        var tailLength = (int)Math.Min(zip.Length, EndLength + MaxCommentLength + Zip64LocatorLength);
        var tail = new byte[tailLength];
        zip.Position = zip.Length - tailLength;
        await zip.ReadExactlyAsync(tail, cancellationToken).ConfigureAwait(false);

        var end = -1;
        for (var i = tailLength - EndLength; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndSignature)
            {
                end = i;
                break;
            }
        }
        if (end < 0)
            throw new IpaRejectedException(IpaRejectionReason.NotAZip, "The upload is not a zip archive (no end-of-central-directory record), so it is not an IPA.");

        ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(end + 10));
        ulong directoryBytes = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(end + 12));
        var locator = end - Zip64LocatorLength;
        if (locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(locator)) == Zip64LocatorSignature)
        {
            var zip64End = BinaryPrimitives.ReadUInt64LittleEndian(tail.AsSpan(locator + 8));
            if (zip64End > (ulong)(zip.Length - Zip64EndLength))
                throw new IpaRejectedException(IpaRejectionReason.NotAZip, "The zip archive's Zip64 directory record points outside the file.");
            var record = new byte[Zip64EndLength];
            zip.Position = (long)zip64End;
            await zip.ReadExactlyAsync(record, cancellationToken).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
                throw new IpaRejectedException(IpaRejectionReason.NotAZip, "The zip archive's Zip64 directory record is missing.");
            entries = Math.Max(entries, BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)));
            directoryBytes = Math.Max(directoryBytes, BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40)));
        }
        zip.Position = 0;

        if (entries > (ulong)limits.MaxEntries)
            throw TooMany($"The IPA has {entries} entries; the limit is {limits.MaxEntries}.");
        if (directoryBytes > (ulong)limits.MaxCentralDirectoryBytes)
            throw TooMany($"The IPA's zip directory is {directoryBytes} bytes; the limit is {limits.MaxCentralDirectoryBytes}.");
    }

    public static IpaRejectedException TooMany(string message) => new(IpaRejectionReason.TooManyEntries, message);
}
