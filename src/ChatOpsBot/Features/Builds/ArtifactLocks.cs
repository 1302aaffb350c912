using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ChatOpsBot.Features.Builds;

/// <summary>
/// One lock per stored artifact, shared by the two sections that must never interleave: ingest's "put the file in
/// place, then commit the build row that uses it" and <see cref="ArtifactCollector"/>'s "check that no active build
/// uses the file, then delete it". Whichever runs second sees what the first did.
/// </summary>
/// <remarks>
/// In-process first, so one host's callers queue in memory. On PostgreSQL, where replicas share the artifact
/// directory, a session-level advisory lock on the hash (<c>pg_advisory_lock</c>) is then taken as well, on an unpooled
/// connection (<see cref="PostgresLockConnections"/>) held for as long as the lock: an upload on one replica and the retention sweep on another take the same lock. A
/// replica that dies loses its session and with it the lock.
/// </remarks>
internal sealed partial class ArtifactLocks(ILogger<ArtifactLocks> logger, PostgresLockConnections? postgres = null)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Takes the locks of the given artifacts, always in the same order so two holders never deadlock.</summary>
    public async Task<IAsyncDisposable> AcquireAsync(IEnumerable<string?> sha256s, CancellationToken cancellationToken)
    {
        var held = new Held(this);
        try
        {
            var ordered = sha256s.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            foreach (var sha256 in ordered)
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
            if (postgres is not null && ordered.Count > 0)
            {
                held.Connection = await postgres.OpenAsync(cancellationToken);
                foreach (var sha256 in ordered)
                {
                    // No command timeout, as for the in-process gate: the holder's upload may take a while.
                    await using var command = new NpgsqlCommand("SELECT pg_advisory_lock($1)", held.Connection) { CommandTimeout = 0, Parameters = { new() { Value = AdvisoryKey(sha256) } } };
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            return held;
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }
    }

    public Task<IAsyncDisposable> AcquireAsync(string sha256, CancellationToken cancellationToken) => AcquireAsync([sha256], cancellationToken);

    /// <summary>The advisory lock's key: the first 8 bytes of the SHA-256 of the artifact's name, the same on every replica.</summary>
    internal static long AdvisoryKey(string sha256) => BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(sha256)));

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
    private sealed class Held(ArtifactLocks owner) : IAsyncDisposable
    {
        public List<Entry> Entries { get; } = [];

        public NpgsqlConnection? Connection { get; set; }

        public async ValueTask DisposeAsync()
        {
            if (Connection is { } connection)
            {
                Connection = null;
                try
                {
                    // Explicitly: a pooled connection is only reset when it is next used, so closing alone would leave
                    // the locks held by an idle connection.
                    await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
                    await unlock.ExecuteNonQueryAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    // A broken connection took its session, and the locks with it.
                    owner.LogUnlockFailed(e);
                }
                finally
                {
                    await connection.DisposeAsync();
                }
            }
            foreach (var entry in Entries)
            {
                entry.Gate.Release();
                owner.Return(entry);
            }
            Entries.Clear();
        }
    }

    [LoggerMessage(EventId = 5711, Level = LogLevel.Warning, Message = "Releasing artifact advisory locks failed; a broken connection releases them with its session")]
    private partial void LogUnlockFailed(Exception exception);
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
        await using var held = await locks.AcquireAsync(sha256, cancellationToken);
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
