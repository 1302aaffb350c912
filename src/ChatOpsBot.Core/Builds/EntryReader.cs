using System.IO.Compression;

namespace ChatOpsBot.Core.Builds;

internal static class EntryReader
{
    // The header's size is checked first (cheap), but the cap is enforced again on the inflated bytes: headers lie.
    public static async Task<byte[]> ReadAsync(ZipArchiveEntry entry, int limit, IpaRejectionReason corruptReason, CancellationToken cancellationToken)
    {
        if (entry.IsEncrypted)
            throw Unsupported(entry, "it is encrypted");
        if (entry.Length > limit)
            throw TooLarge(entry.FullName, limit);
        Stream stream;
        try
        {
            stream = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            // Raised for compression methods other than Stored, Deflate and Deflate64, and for mangled local headers.
            throw Unsupported(entry, e.Message);
        }
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await ReadBoundedAsync(stream, limit, entry.FullName, (int)Math.Min(entry.Length, limit), cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new IpaRejectedException(corruptReason, $"The IPA entry {entry.FullName} is corrupt: {e.Message}");
            }
        }
    }

    public static async Task<byte[]> ReadBoundedAsync(Stream source, int limit, string name, int expectedLength, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream(expectedLength);
        var chunk = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (output.Length + read > limit)
                throw TooLarge(name, limit);
            output.Write(chunk, 0, read);
        }
        return output.ToArray();
    }

    // Reads only the first bytes, e.g. a PNG header, without inflating the rest of the entry.
    public static async Task<byte[]?> TryReadStartAsync(ZipArchiveEntry entry, int length, CancellationToken cancellationToken)
    {
        if (entry.IsEncrypted)
            return null;
        try
        {
            var stream = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[length];
                var read = await stream.ReadAtLeastAsync(buffer, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                return buffer[..read];
            }
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static IpaRejectedException TooLarge(string name, int limit) =>
        new(IpaRejectionReason.EntryTooLarge, $"The IPA entry {name} is larger than the limit of {limit} bytes.");

    private static IpaRejectedException Unsupported(ZipArchiveEntry entry, string why) =>
        new(IpaRejectionReason.UnsupportedCompression, $"The IPA entry {entry.FullName} cannot be read ({why}); only Stored and Deflate entries without encryption are supported.");
}
