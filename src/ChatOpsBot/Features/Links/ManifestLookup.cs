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

/// <summary>The statement both providers run; only the parameter's marker differs.</summary>
internal static class ManifestSql
{
    public static string For(string hashParameter) => $"""
        SELECT l."Id", l."ExpiresAt", l."RevokedAt", l."MaxDownloads", b."State", b."ProfileExpiresAt", b."IconSha256",
               b."BundleId", b."Version", b."BuildNumber", b."DisplayName", b."Channel",
               CASE WHEN l."MaxDownloads" IS NULL THEN 0 ELSE (SELECT count(*) FROM "LinkDownloads" AS d WHERE d."LinkId" = l."Id") END
        FROM "InstallLinks" AS l
        JOIN "Builds" AS b ON b."Id" = l."BuildId"
        WHERE l."TokenHash" = {hashParameter}
        """;

    public static async Task<ManifestRow?> ReadAsync(DbDataReader row, CancellationToken cancellationToken)
    {
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
            // count(*) is a bigint on PostgreSQL, an integer of any size on SQLite.
            checked((int)row.GetInt64(12)));
    }

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}

/// <summary>
/// PostgreSQL: a connection from the host's pool and the statement prepared. Npgsql keeps a prepared statement on
/// its physical connection across pooled opens, so preparing again is a lookup, not a round trip, and each pooled
/// connection parses and plans the statement once.
/// </summary>
internal sealed class PostgresManifestLookup(NpgsqlDataSource dataSource) : IManifestLookup
{
    private static readonly string Sql = ManifestSql.For("$1");

    public async Task<ManifestRow?> FindAsync(ChatOpsBotDb db, byte[] hash, CancellationToken cancellationToken)
    {
        try
        {
            return await FindOnceAsync(hash, cancellationToken);
        }
        catch (NpgsqlException e) when (e.IsTransient && !cancellationToken.IsCancellationRequested)
        {
            // A pooled connection that a server restart broke while it sat idle fails on first use, and Npgsql then
            // discards it. The lookup only reads, so it is tried once more on another connection.
            return await FindOnceAsync(hash, cancellationToken);
        }
    }

    private async Task<ManifestRow?> FindOnceAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = hash });
        await command.PrepareAsync(cancellationToken);
        await using var row = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
        return await ManifestSql.ReadAsync(row, cancellationToken);
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
