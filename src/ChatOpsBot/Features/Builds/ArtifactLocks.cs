using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Builds;

/// <summary>
/// One lock per stored artifact, shared by the two sections that must never interleave: ingest's "put the file in
/// place, then commit the build row that uses it" and <see cref="ArtifactCollector"/>'s "check that no active build
/// uses the file, then delete it". Whichever runs second sees what the first did.
/// </summary>
/// <remarks>
/// In-process, which is enough for one host on the file-system store. Replicas sharing a store (a shared volume, S3)
/// need a lock they all see, taken around the same two sections: a PostgreSQL advisory lock on the hash
/// (<c>pg_advisory_lock</c>) keeps the rule with nothing else changed.
/// </remarks>
internal sealed class ArtifactLocks
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Takes the locks of the given artifacts, always in the same order so two holders never deadlock.</summary>
    public async Task<IDisposable> AcquireAsync(IEnumerable<string?> sha256s, CancellationToken cancellationToken)
    {
        var held = new Held(this);
        try
        {
            foreach (var sha256 in sha256s.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var entry = Rent(sha256);
                try
                {
                    await entry.Gate.WaitAsync(cancellationToken);
                }
                catch
                {
                    Return(entry);
                    throw;
                }
                held.Entries.Add(entry);
            }
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    public Task<IDisposable> AcquireAsync(string sha256, CancellationToken cancellationToken) => AcquireAsync([sha256], cancellationToken);

    private Entry Rent(string sha256)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(sha256, out var entry))
                _entries[sha256] = entry = new Entry(sha256);
            entry.Users++;
            return entry;
        }
    }

    private void Return(Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
                _entries.Remove(entry.Sha256);
        }
    }

    private sealed class Entry(string sha256)
    {
        public string Sha256 { get; } = sha256;

        // Never disposed: a SemaphoreSlim only holds unmanaged state once its AvailableWaitHandle is read.
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }
    }

    // The locks one caller holds; disposing releases them.
    private sealed class Held(ArtifactLocks owner) : IDisposable
    {
        public List<Entry> Entries { get; } = [];

        public void Dispose()
        {
            foreach (var entry in Entries)
            {
                entry.Gate.Release();
                owner.Return(entry);
            }
            Entries.Clear();
        }
    }
}

/// <summary>
/// The one place stored artifacts are deleted: under the artifact's lock, and only when the database shows that no
/// active build uses it (as its IPA or its icon). Revoked builds keep their rows but not their files.
/// </summary>
internal sealed partial class ArtifactCollector(ChatOpsBotDb db, IArtifactStore artifacts, ArtifactLocks locks, ILogger<ArtifactCollector> logger)
{
    /// <summary>Deletes the artifact unless an active build uses it; true when it was deleted.</summary>
    public async Task<bool> DeleteIfUnusedAsync(string sha256, CancellationToken cancellationToken)
    {
        using var held = await locks.AcquireAsync(sha256, cancellationToken);
        if (await IsUsedAsync(sha256, cancellationToken))
        {
            LogKeptInUse(sha256);
            return false;
        }
        await artifacts.DeleteAsync(sha256, cancellationToken);
        return true;
    }

    private Task<bool> IsUsedAsync(string sha256, CancellationToken cancellationToken) =>
        db.Builds.AsNoTracking().AnyAsync(b => b.State == BuildState.Active && (b.Sha256 == sha256 || b.IconSha256 == sha256), cancellationToken);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Debug, Message = "Kept artifact {Sha256}: an active build uses it")]
    private partial void LogKeptInUse(string sha256);
}
