namespace ChatOpsBot.Features.Builds;

/// <summary>
/// Content-addressed storage for IPAs and icons, keyed by lowercase hex SHA-256. Small on purpose, so a shared volume
/// or an S3-compatible store can stand in for the file system. Adding and deleting happen under the artifact's lock
/// (<see cref="ArtifactLocks"/>); only <see cref="ArtifactCollector"/> deletes.
/// </summary>
internal interface IArtifactStore
{
    /// <summary>Takes ownership of a finished local file; returns false when that content was already stored.</summary>
    Task<bool> AddAsync(string localFile, string sha256, CancellationToken cancellationToken);

    Task<bool> AddAsync(ReadOnlyMemory<byte> content, string sha256, CancellationToken cancellationToken);

    /// <summary>Opens a whole stored artifact (an icon) for reading, or null when it is absent.</summary>
    ValueTask<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a stored artifact to be read by ranges, or null when it is known to be absent. <paramref name="size"/> is
    /// the size the build's row records: an object store takes it as the length, so a HEAD or a 416 costs no request.
    /// </summary>
    ValueTask<IArtifactReader?> OpenRangesAsync(string sha256, long size, CancellationToken cancellationToken);

    Task DeleteAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Every stored artifact with the time it was written (asynchronous: an object store lists page by page).</summary>
    IAsyncEnumerable<(string Sha256, DateTime LastWriteUtc)> ListAsync(CancellationToken cancellationToken);

    /// <summary>For readiness: null when the store can be used, else why not.</summary>
    Task<string?> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>An artifact opened for ranged reads; it owns the streams it hands out, and disposing it closes them.</summary>
internal interface IArtifactReader : IAsyncDisposable
{
    long Length { get; }

    /// <summary>A stream of exactly <paramref name="count"/> bytes from <paramref name="from"/> on; at most one is open at a time.</summary>
    ValueTask<Stream> ReadRangeAsync(long from, long count, CancellationToken cancellationToken);

    /// <summary>A URL the client may fetch the artifact from itself, valid for <paramref name="lifetime"/>; null when the store has none.</summary>
    ValueTask<string?> PresignedUrlAsync(TimeSpan lifetime, string fileName, string contentType);

    /// <summary>
    /// The path and query (<c>/{bucket}/{key}?X-Amz-…</c>) of a presigned GET of the artifact, path-style, valid for
    /// <paramref name="lifetime"/> at the store's signed origin (<see cref="S3ArtifactOptions.SignedOrigin"/>), for
    /// nginx to fetch it with; null when the store has none.
    /// </summary>
    ValueTask<string?> PresignedPathAsync(TimeSpan lifetime);
}

/// <summary>Thrown when the artifact store cannot be reached or refuses a request: the request answers 503, nothing is stored.</summary>
internal sealed class ArtifactStoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>
/// Files under <c>&lt;DataDirectory&gt;/artifacts/ab/&lt;sha256&gt;</c>. Uploads are spooled into
/// <c>artifacts/.tmp</c> on the same file system, so putting them in place is an atomic rename.
/// </summary>
internal sealed class FileSystemArtifactStore : IArtifactStore
{
    private readonly string _root;

    public FileSystemArtifactStore(string dataDirectory)
    {
        _root = Path.Combine(dataDirectory, "artifacts");
        TemporaryDirectory = Path.Combine(_root, ".tmp");
        Directory.CreateDirectory(TemporaryDirectory);
    }

    public string TemporaryDirectory { get; }

    public FileStream CreateTemporaryFile() =>
        new(Path.Combine(TemporaryDirectory, Guid.NewGuid().ToString("N")), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read,
            bufferSize: 0, FileOptions.Asynchronous);

    /// <summary>
    /// Deletes the temporary files last written before <paramref name="writtenBefore"/>. Replicas may share this
    /// directory, so a file still being written, or stored, by another process must stay: only files left alone for a
    /// while are a crash's leftovers.
    /// </summary>
    public int RemoveTemporaryFiles(DateTime writtenBefore)
    {
        var removed = 0;
        foreach (var file in new DirectoryInfo(TemporaryDirectory).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc >= writtenBefore)
                continue;
            try
            {
                file.Delete();
                removed++;
            }
            catch (IOException)
            {
                // Another replica removed or moved it meanwhile.
            }
        }
        return removed;
    }

    public Task<bool> AddAsync(string localFile, string sha256, CancellationToken cancellationToken)
    {
        var target = PathOf(sha256);
        if (File.Exists(target))
        {
            File.Delete(localFile);
            return Task.FromResult(false);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(localFile, target, overwrite: false);
            return Task.FromResult(true);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another upload of the same content won the race; the bytes are the same.
            File.Delete(localFile);
            return Task.FromResult(false);
        }
    }

    public async Task<bool> AddAsync(ReadOnlyMemory<byte> content, string sha256, CancellationToken cancellationToken)
    {
        if (Exists(sha256))
            return false;
        var temporary = Path.Combine(TemporaryDirectory, Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(temporary, content, cancellationToken);
        return await AddAsync(temporary, sha256, cancellationToken);
    }

    public ValueTask<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken) => ValueTask.FromResult<Stream?>(Open(sha256));

    /// <summary>The file itself, whatever the row says its size is: one open, and seeks, as before there was a seam.</summary>
    public ValueTask<IArtifactReader?> OpenRangesAsync(string sha256, long size, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IArtifactReader?>(Open(sha256) is { } file ? new FileReader(file) : null);

    public Task<string?> ProbeAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Directory.Exists(TemporaryDirectory) ? null : "The artifact directory is missing.");

    private FileStream? Open(string sha256)
    {
        try
        {
            return new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private sealed class FileReader(FileStream file) : IArtifactReader
    {
        public long Length => file.Length;

        public ValueTask<Stream> ReadRangeAsync(long from, long count, CancellationToken cancellationToken)
        {
            file.Seek(from, SeekOrigin.Begin);
            return ValueTask.FromResult<Stream>(file);
        }

        public ValueTask<string?> PresignedUrlAsync(TimeSpan lifetime, string fileName, string contentType) => ValueTask.FromResult<string?>(null);

        public ValueTask<string?> PresignedPathAsync(TimeSpan lifetime) => ValueTask.FromResult<string?>(null);

        public ValueTask DisposeAsync() => file.DisposeAsync();
    }

    public Task DeleteAsync(string sha256, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(sha256));
        return Task.CompletedTask;
    }

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    public IAsyncEnumerable<(string Sha256, DateTime LastWriteUtc)> ListAsync(CancellationToken cancellationToken) =>
        List(cancellationToken).ToAsyncEnumerable();

    private IEnumerable<(string Sha256, DateTime LastWriteUtc)> List(CancellationToken cancellationToken)
    {
        foreach (var directory in Directory.EnumerateDirectories(_root))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Path.GetFileName(directory) is not { Length: 2 } prefix || !prefix.All(char.IsAsciiHexDigitLower))
                continue;
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                var name = Path.GetFileName(file);
                if (name.Length == 64 && name.StartsWith(prefix, StringComparison.Ordinal) && name.All(char.IsAsciiHexDigitLower))
                    yield return (name, File.GetLastWriteTimeUtc(file));
            }
        }
    }

    private string PathOf(string sha256)
    {
        // The name comes from our own hash, never from a request; check it anyway so it can never be a path.
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException("An artifact name is a lowercase hex SHA-256.", nameof(sha256));
        return Path.Combine(_root, sha256[..2], sha256);
    }
}
