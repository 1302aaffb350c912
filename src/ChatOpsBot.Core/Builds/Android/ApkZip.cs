using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ChatOpsBot.Core.Builds.Android;

internal sealed record ApkZipEntry(string Name, ushort Flags, ushort Method, uint Crc, long CompressedSize, long UncompressedSize, long LocalHeaderOffset, long DirectoryOffset);

// Our own reader of the zip structure, as Android's libziparchive reads it: the end record, the central directory
// and each local header, cross-checked against one another. ZipArchive cannot be used: it refuses entries Android
// installs (unknown methods, which Android maps as stored) and does not give the central directory's offset, which
// locates the APK Signing Block. Every size is checked against the file and the limits before anything is read.
internal sealed class ApkZip
{
    private const uint EndSignature = 0x06054b50, DirectorySignature = 0x02014b50, LocalSignature = 0x04034b50;
    private const int EndLength = 22, DirectoryHeaderLength = 46, LocalHeaderLength = 30, MaxCommentLength = 0xFFFF;
    private const ushort DataDescriptorFlag = 0x8, Deflated = 8;
    // Entries this small are allowed any compression ratio: a blank 1 MiB bitmap is no bomb.
    private const long RatioExemptBytes = 1024 * 1024;

    private readonly Stream _stream;
    private readonly Dictionary<string, ApkZipEntry> _byName;

    private ApkZip(Stream stream, List<ApkZipEntry> entries, Dictionary<string, ApkZipEntry> byName, long directoryOffset, long directorySize, long endOffset)
    {
        _stream = stream;
        Entries = entries;
        _byName = byName;
        DirectoryOffset = directoryOffset;
        DirectorySize = directorySize;
        EndOffset = endOffset;
    }

    public IReadOnlyList<ApkZipEntry> Entries { get; }

    public long DirectoryOffset { get; }

    public long DirectorySize { get; }

    public long EndOffset { get; }

    public long Length => _stream.Length;

    public static ApkZip Open(Stream stream, ApkLimits limits, bool allowDuplicates = false, CancellationToken cancellationToken = default)
    {
        var length = stream.Length;
        if (length < EndLength)
            throw NotAZip("The upload is too short to be a zip archive", 0);
        var tailLength = (int)Math.Min(length, EndLength + MaxCommentLength);
        var tail = ReadAt(stream, length - tailLength, tailLength);
        var end = -1;
        for (var i = tailLength - EndLength; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndSignature
                && i + EndLength + BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 20)) <= tailLength)
            {
                end = i;
                break;
            }
        }
        if (end < 0)
            throw NotAZip("The upload is not a zip archive (no end-of-central-directory record)", length - tailLength);
        var endOffset = length - tailLength + end;
        var record = tail.AsSpan(end);
        int disk = BinaryPrimitives.ReadUInt16LittleEndian(record[4..]), directoryDisk = BinaryPrimitives.ReadUInt16LittleEndian(record[6..]);
        int entriesOnDisk = BinaryPrimitives.ReadUInt16LittleEndian(record[8..]), entryCount = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]), directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        if (entryCount == 0xFFFF || directorySize == 0xFFFFFFFF || directoryOffset == 0xFFFFFFFF)
            throw Malformed("The zip archive uses Zip64 records, which APKs do not", endOffset);
        if (disk != 0 || directoryDisk != 0 || entriesOnDisk != entryCount)
            throw Malformed("The zip archive spans several disks", endOffset);
        if (entryCount > limits.MaxEntries)
            throw new ApkFormatException(ApkRejectionReason.TooManyEntries, $"The archive has {entryCount} entries; the limit is {limits.MaxEntries}", endOffset + 10);
        if (directorySize > limits.MaxCentralDirectoryBytes)
            throw new ApkFormatException(ApkRejectionReason.TooManyEntries, $"The zip directory is {directorySize} bytes; the limit is {limits.MaxCentralDirectoryBytes}", endOffset + 12);
        if (directoryOffset + directorySize > endOffset)
            throw Malformed("The zip directory runs past the end-of-central-directory record", endOffset + 16);

        var directory = ReadAt(stream, directoryOffset, (int)directorySize);
        var entries = new List<ApkZipEntry>(entryCount);
        var byName = new Dictionary<string, ApkZipEntry>(entryCount, StringComparer.Ordinal);
        var at = 0;
        for (var n = 0; n < entryCount; n++)
        {
            if ((n & 1023) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            var where = directoryOffset + at;
            if (directory.Length - at < DirectoryHeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != DirectorySignature)
                throw Malformed($"Zip directory entry {n} of {entryCount} is missing or truncated", where);
            var header = directory.AsSpan(at, DirectoryHeaderLength);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
            var method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]), uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]), extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]), commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
            var total = DirectoryHeaderLength + nameLength + extraLength + commentLength;
            if (directory.Length - at < total)
                throw Malformed($"Zip directory entry {n} runs past the end of the directory", where);
            if (nameLength == 0)
                throw Malformed($"Zip directory entry {n} has no name", where + 28);
            if (localOffset >= directoryOffset)
                throw Malformed($"Zip directory entry {n} points at a local header outside the entries' area", where + 42);
            var name = Encoding.UTF8.GetString(directory, at + DirectoryHeaderLength, nameLength);
            var entry = new ApkZipEntry(name, flags, method, crc, compressed, uncompressed, localOffset, where);
            // Android refuses duplicate names: two entries with one name would make the choice the attacker's.
            if (!byName.TryAdd(name, entry) && !allowDuplicates)
                throw new ApkFormatException(ApkRejectionReason.DuplicateEntry, $"The archive holds the entry {name} more than once", where);
            entries.Add(entry);
            at += total;
        }
        return new ApkZip(stream, entries, byName, directoryOffset, directorySize, endOffset);
    }

    public ApkZipEntry? Find(string name) => _byName.GetValueOrDefault(name);

    public byte[] ReadAt(long offset, int count) => ReadAt(_stream, offset, count);

    // Where the entry's data starts, from its local header.
    public long DataOffset(ApkZipEntry entry)
    {
        if (entry.LocalHeaderOffset > Length - LocalHeaderLength)
            throw Malformed($"The local header of {entry.Name} is outside the file", entry.DirectoryOffset + 42);
        var header = ReadAt(entry.LocalHeaderOffset, LocalHeaderLength);
        return entry.LocalHeaderOffset + LocalHeaderLength + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
    }

    // The entry's bytes, never more than limit: the declared size is checked first and the inflated bytes again.
    public byte[] Read(ApkZipEntry entry, int limit, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (entry.UncompressedSize > limit)
            throw new ApkFormatException(ApkRejectionReason.EntryTooLarge, $"{entry.Name} is {entry.UncompressedSize} bytes; the limit is {limit}", entry.DirectoryOffset + 24);
        // Deflate expands incompressible data by a few bytes per 32 KiB block at most.
        if (entry.Method == Deflated && entry.CompressedSize > limit + limit / 256 + 1024)
            throw new ApkFormatException(ApkRejectionReason.EntryTooLarge, $"{entry.Name} is {entry.CompressedSize} bytes compressed, more than an entry of at most {limit} bytes can be", entry.DirectoryOffset + 20);
        var local = entry.LocalHeaderOffset;
        if (local > Length - LocalHeaderLength)
            throw Malformed($"The local header of {entry.Name} is outside the file", entry.DirectoryOffset + 42);
        var header = ReadAt(local, LocalHeaderLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalSignature)
            throw Malformed($"The local header of {entry.Name} is missing", local);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26)), extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
        if ((flags & DataDescriptorFlag) == 0
            && (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(14)) != entry.Crc
                || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(18)) != entry.CompressedSize
                || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(22)) != entry.UncompressedSize))
            throw Malformed($"The local header of {entry.Name} disagrees with the zip directory about its size or CRC", local + 14);
        var dataOffset = local + LocalHeaderLength + nameLength + extraLength;
        if (dataOffset > DirectoryOffset)
            throw Malformed($"The local header of {entry.Name} runs into the zip directory", local + 26);
        var localName = ReadAt(local + LocalHeaderLength, nameLength);
        if (!localName.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(entry.Name)) && Encoding.UTF8.GetString(localName) != entry.Name)
            throw Malformed($"The local header of {entry.Name} names another file", local + LocalHeaderLength);

        // Android inflates method 8 and maps every other method as stored.
        if (entry.Method != Deflated)
        {
            if (entry.UncompressedSize > DirectoryOffset - dataOffset)
                throw Malformed($"{entry.Name} runs into the zip directory", dataOffset);
            return ReadAt(dataOffset, (int)entry.UncompressedSize);
        }
        if (entry.CompressedSize > DirectoryOffset - dataOffset)
            throw Malformed($"The compressed data of {entry.Name} runs into the zip directory", dataOffset);
        if (entry.UncompressedSize > RatioExemptBytes && entry.UncompressedSize > 100 * entry.CompressedSize)
            throw new ApkFormatException(ApkRejectionReason.EntryTooLarge, $"{entry.Name} claims to inflate {entry.CompressedSize} bytes to {entry.UncompressedSize}, more than 100 to 1", entry.DirectoryOffset + 20);
        var compressed = ReadAt(dataOffset, (int)entry.CompressedSize);
        var output = new byte[entry.UncompressedSize];
        try
        {
            using var inflate = new DeflateStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            var read = inflate.ReadAtLeast(output, output.Length, throwOnEndOfStream: false);
            if (read < output.Length)
                throw Malformed($"{entry.Name} inflates to {read} bytes, not the {entry.UncompressedSize} its header declares", dataOffset);
            if (inflate.Read(stackalloc byte[1]) > 0)
                throw Malformed($"{entry.Name} inflates to more than the {entry.UncompressedSize} bytes its header declares", dataOffset);
        }
        catch (InvalidDataException e)
        {
            throw new ApkFormatException(ApkRejectionReason.Malformed, $"The compressed data of {entry.Name} is corrupt", dataOffset, null, e);
        }
        return output;
    }

    private static byte[] ReadAt(Stream stream, long offset, int count)
    {
        if (offset < 0 || count < 0 || offset > stream.Length - count)
            throw Malformed("A zip structure points outside the file", Math.Max(0, offset));
        var buffer = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static ApkFormatException Malformed(string detail, long offset) => new(ApkRejectionReason.Malformed, detail, offset);

    private static ApkFormatException NotAZip(string detail, long offset) => new(ApkRejectionReason.NotAZip, detail, offset);
}
