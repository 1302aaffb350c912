using System.Collections.Concurrent;
using System.Data.Common;
using ChatOpsBot.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace ChatOpsBot.Features.Links;

/// <summary>
/// The manifest path's token lookup, one statement per provider instead of a LINQ query: iOS fetches a manifest on
/// every install tap, and EF Core's per-query work cost more than the lookup itself. Every request still reads the
/// database, so a revocation on any replica applies to the next request.
/// </summary>
internal interface IManifestLookup
{
    /// <summary>The row for a token hash, or null. <paramref name="db"/> names the database; it need not be used.</summary>
    Task<ManifestRow?> FindAsync(ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken);
}

/// <summary>
/// The statement both providers run; only the parameter's marker differs. Only iOS builds have a manifest: for a link
/// to an Android build the token is unknown here.
/// </summary>
internal static class ManifestSql
{
    public static string For(string hashParameter) => $"""
        SELECT {Columns}
        FROM "InstallLinks" AS l
        JOIN "Builds" AS b ON b."Id" = l."BuildId"
        WHERE l."TokenHash" = {hashParameter} AND b."Platform" = 'ios'
        """;

    /// <summary>The same for many hashes at once (PostgreSQL's <c>= ANY(array)</c>), each row followed by its hash.</summary>
    public static string ForAny(string hashesParameter) => $"""
        SELECT {Columns}, l."TokenHash"
        FROM "InstallLinks" AS l
        JOIN "Builds" AS b ON b."Id" = l."BuildId"
        WHERE l."TokenHash" = ANY({hashesParameter}) AND b."Platform" = 'ios'
        """;

    /// <summary>Column 13, after the ones <see cref="ReadAsync"/> reads, in <see cref="ForAny"/>.</summary>
    public const int HashColumn = 13;

    private const string Columns = """
        l."Id", l."ExpiresAt", l."RevokedAt", l."MaxDownloads", b."State", b."ProfileExpiresAt", b."IconSha256",
               b."BundleId", b."Version", b."BuildNumber", b."DisplayName", b."Channel",
               CASE WHEN l."MaxDownloads" IS NULL THEN 0 ELSE (SELECT count(*) FROM "LinkDownloads" AS d WHERE d."LinkId" = l."Id") END
        """;

    public static async Task<ManifestRow?> ReadAsync(DbDataReader row, CancellationToken cancellationToken) =>
        await row.ReadAsync(cancellationToken) ? Current(row) : null;

    /// <summary>The reader's current row.</summary>
    public static ManifestRow Current(DbDataReader row) =>
        new(
            row.GetInt64(0),
            Utc(row.GetDateTime(1)),
            row.IsDBNull(2) ? null : Utc(row.GetDateTime(2)),
            row.IsDBNull(3) ? null : row.GetInt32(3),
            Enum.Parse<BuildState>(row.GetString(4)),
            row.IsDBNull(5) ? null : Utc(row.GetDateTime(5)),
            !row.IsDBNull(6),
            row.GetString(7), row.GetString(8), row.GetString(9), row.GetString(10), row.GetString(11),
            // count(*) is a bigint on PostgreSQL, an integer of any size on SQLite.
            checked((int)row.GetInt64(12)));

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}

/// <summary>
/// PostgreSQL: lookups that arrive together go to the server together (<see cref="BatchedLookups"/>), as one prepared
/// statement over an array of hashes. One statement per manifest request cost the server about as much CPU as the
/// host's whole request.
/// </summary>
internal sealed class PostgresManifestLookup : IManifestLookup
{
    private static readonly string Sql = ManifestSql.ForAny("$1");

    private readonly NpgsqlDataSource _dataSource;
    private readonly BatchedLookups _batches;

    public PostgresManifestLookup(ManifestLookupConnections connections)
    {
        _dataSource = connections.DataSource;
        _batches = new BatchedLookups(FindAsync);
    }

    public Task<ManifestRow?> FindAsync(ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken) =>
        _batches.FindAsync(hash, cancellationToken);

    private async Task<Dictionary<byte[], ManifestRow>> FindAsync(IReadOnlyList<byte[]> hashes)
    {
        try
        {
            return await FindOnceAsync(hashes);
        }
        catch (NpgsqlException e) when (e.IsTransient || PostgresDataSource.ForgetStatementsAfter(e, _dataSource))
        {
            // A pooled connection that a server restart broke while it sat idle fails on first use, and Npgsql then
            // discards it; a statement prepared before a migration changed its columns fails on every connection that
            // prepared it, so the pool has just been cleared. The lookup only reads, so it is tried once more.
            return await FindOnceAsync(hashes);
        }
    }

    private async Task<Dictionary<byte[], ManifestRow>> FindOnceAsync(IReadOnlyList<byte[]> hashes)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = [.. hashes] });
        await command.PrepareAsync(CancellationToken.None);
        await using var row = await command.ExecuteReaderAsync(CancellationToken.None);
        var found = new Dictionary<byte[], ManifestRow>(hashes.Count, BatchedLookups.HashComparer);
        while (await row.ReadAsync(CancellationToken.None))
            found[row.GetFieldValue<byte[]>(ManifestSql.HashColumn)] = ManifestSql.Current(row);
        return found;
    }
}

/// <summary>The manifest lookups' own pool (<see cref="PostgresDataSource.CreateForManifestLookups"/>).</summary>
internal sealed class ManifestLookupConnections(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>
/// Token lookups grouped the way <see cref="LinkEventLog"/> groups commits. A lookup waits for no timer: while fewer
/// than <see cref="MaxInFlight"/> queries run it starts one at once; otherwise the next query a runner sends takes it,
/// with every other lookup queued meanwhile (at most <see cref="MaxBatch"/>). A query is sent only after each lookup
/// it answers has arrived, so it sees every commit made before that: a link revoked on another replica fails the
/// next request.
/// </summary>
internal sealed class BatchedLookups(Func<IReadOnlyList<byte[]>, Task<Dictionary<byte[], ManifestRow>>> query, int maxInFlight = BatchedLookups.MaxInFlight)
{
    /// <summary>Queries in flight at once: one being answered while the next is sent.</summary>
    internal const int MaxInFlight = 2;

    /// <summary>At most this many hashes in one query, so one answer stays small.</summary>
    internal const int MaxBatch = 64;

    public static readonly IEqualityComparer<byte[]> HashComparer = new ByteArrayComparer();

    private readonly ConcurrentQueue<Lookup> _queued = new();
    private int _running;

    public Task<ManifestRow?> FindAsync(byte[] hash, CancellationToken cancellationToken)
    {
        var lookup = new Lookup(hash);
        _queued.Enqueue(lookup);
        StartRunnerIfIdle();
        return lookup.Found.Task.WaitAsync(cancellationToken);
    }

    private void StartRunnerIfIdle()
    {
        while (true)
        {
            var running = Volatile.Read(ref _running);
            if (running >= maxInFlight || _queued.IsEmpty)
                return;
            if (Interlocked.CompareExchange(ref _running, running + 1, running) == running)
            {
                // On the caller's thread until the query is sent: the caller only waits for its answer anyway.
                _ = RunAsync();
                return;
            }
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Lookup>(MaxBatch);
        try
        {
            while (true)
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queued.TryDequeue(out var lookup))
                    batch.Add(lookup);
                if (batch.Count == 0)
                    return;
                await AnswerAsync(batch);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            // A lookup queued after this runner's last look but before it stopped counting would otherwise wait alone.
            StartRunnerIfIdle();
        }
    }

    private async Task AnswerAsync(List<Lookup> batch)
    {
        try
        {
            var found = await query([.. batch.Select(l => l.Hash)]);
            foreach (var lookup in batch)
                lookup.Found.TrySetResult(found.GetValueOrDefault(lookup.Hash));
        }
        catch (Exception e)
        {
            foreach (var lookup in batch)
                lookup.Found.TrySetException(e);
        }
    }

    private sealed class Lookup(byte[] hash)
    {
        public byte[] Hash { get; } = hash;

        public TaskCompletionSource<ManifestRow?> Found { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}

internal sealed class SqliteManifestLookup : IManifestLookup, IDisposable
{
    private const int MaxIdle = 16;

    private static readonly string Sql = ManifestSql.For("$hash");

    private readonly ConcurrentBag<Reader> _idle = [];
    private int _idleCount;

    public async Task<ManifestRow?> FindAsync(ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken)
    {
        if (db.Database.GetConnectionString() is not { } connectionString)
            return null;
        var reader = Rent(connectionString);
        try
        {
            reader.Hash.Value = hash;
            await using var row = await reader.Command.ExecuteReaderAsync(cancellationToken);
            return await ManifestSql.ReadAsync(row, cancellationToken);
        }
        catch
        {
            reader.Dispose();
            reader = null;
            throw;
        }
        finally
        {
            if (reader is not null)
                Return(reader);
        }
    }

    private Reader Rent(string connectionString)
    {
        if (_idle.TryTake(out var reader))
        {
            Interlocked.Decrement(ref _idleCount);
            if (reader.ConnectionString == connectionString)
                return reader;
            reader.Dispose();
        }
        return new Reader(connectionString);
    }

    private void Return(Reader reader)
    {
        if (Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            reader.Dispose();
            return;
        }
        _idle.Add(reader);
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var reader))
            reader.Dispose();
    }

    private sealed class Reader : IDisposable
    {
        public Reader(string connectionString)
        {
            ConnectionString = connectionString;
            Connection = new SqliteConnection(connectionString);
            Connection.Open();
            Command = Connection.CreateCommand();
            Command.CommandText = Sql;
            Hash = Command.Parameters.Add("$hash", SqliteType.Blob);
            Command.Prepare();
        }

        public string ConnectionString { get; }

        public SqliteConnection Connection { get; }

        public SqliteCommand Command { get; }

        public SqliteParameter Hash { get; }

        public void Dispose()
        {
            Command.Dispose();
            Connection.Dispose();
        }
    }
}

internal sealed record ManifestRow(
    long LinkId,
    DateTime ExpiresAt,
    DateTime? RevokedAt,
    int? MaxDownloads,
    BuildState BuildState,
    DateTime? ProfileExpiresAt,
    bool HasIcon,
    string BundleId,
    string Version,
    string BuildNumber,
    string DisplayName,
    string Channel,
    int Downloads);
