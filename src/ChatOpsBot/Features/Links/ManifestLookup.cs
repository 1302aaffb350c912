using System.Collections.Concurrent;
using ChatOpsBot.Data;
using Microsoft.Data.Sqlite;

namespace ChatOpsBot.Features.Links;

/// <summary>
/// The manifest path's token lookup: a few open read connections, each with its statement prepared once. iOS fetches
/// a manifest on every install tap, and opening a connection and preparing the statement per request cost several
/// times more than the lookup itself. Every request still reads the database, so a revocation applies to the next one.
/// </summary>
internal sealed class ManifestLookup : IDisposable
{
    private const int MaxIdle = 16;

    private const string Sql = """
        SELECT l."Id", l."ExpiresAt", l."RevokedAt", l."MaxDownloads", b."State", b."ProfileExpiresAt", b."IconSha256",
               b."BundleId", b."Version", b."BuildNumber", b."DisplayName", b."Channel",
               CASE WHEN l."MaxDownloads" IS NULL THEN 0 ELSE (SELECT count(*) FROM "LinkDownloads" AS d WHERE d."LinkId" = l."Id") END
        FROM "InstallLinks" AS l
        JOIN "Builds" AS b ON b."Id" = l."BuildId"
        WHERE l."TokenHash" = $hash
        """;

    private readonly ConcurrentBag<Reader> _idle = [];
    private int _idleCount;

    /// <summary>The row for a token hash, or null.</summary>
    public async Task<ManifestRow?> FindAsync(string connectionString, byte[] hash, CancellationToken cancellationToken)
    {
        var reader = Rent(connectionString);
        try
        {
            reader.Hash.Value = hash;
            await using var row = await reader.Command.ExecuteReaderAsync(cancellationToken);
            if (!await row.ReadAsync(cancellationToken))
                return null;
            return new ManifestRow(
                row.GetInt64(0),
                Utc(row.GetDateTime(1)),
                row.IsDBNull(2) ? null : Utc(row.GetDateTime(2)),
                row.IsDBNull(3) ? null : row.GetInt32(3),
                Enum.Parse<BuildState>(row.GetString(4)),
                row.IsDBNull(5) ? null : Utc(row.GetDateTime(5)),
                !row.IsDBNull(6),
                row.GetString(7), row.GetString(8), row.GetString(9), row.GetString(10), row.GetString(11),
                row.GetInt32(12));
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

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

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
