using Npgsql;

namespace ChatOpsBot.Data;

/// <summary>
/// The session-level advisory lock a host holds on PostgreSQL while it checks and migrates the schema (EF Core's
/// migrations and Hangfire's tables), so replicas starting at once prepare it one after another: the first migrates,
/// the others wait and then find it current. It ends with its session, so a host killed while migrating leaves no
/// lock behind. EF Core's own lock (on "__EFMigrationsHistory") still covers anything else that migrates.
/// </summary>
internal sealed class PostgresSchemaLock : IAsyncDisposable
{
    /// <summary>pg_locks shows the lock as locktype 'advisory' with this classid and <see cref="ObjectId"/> as objid.</summary>
    public const int ClassId = 0x43_4F_42_53; // "COBS"

    public const int ObjectId = 1;

    private readonly NpgsqlConnection _connection;

    private PostgresSchemaLock(NpgsqlConnection connection) => _connection = connection;

    /// <summary>A connection of its own, open for as long as the lock is held; the schema work may use it.</summary>
    public NpgsqlConnection Connection => _connection;

    public static async Task<PostgresSchemaLock> AcquireAsync(PostgresLockConnections connections, CancellationToken cancellationToken)
    {
        var connection = await connections.OpenAsync(cancellationToken);
        try
        {
            // No command timeout: another host's migration takes as long as it takes, and this one waits for it.
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({ClassId}, {ObjectId})", connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new PostgresSchemaLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Closing the unpooled connection would end the session and the lock with it, but only once the server
            // has seen it go; unlocking first lets a waiting host in at once.
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({ClassId}, {ObjectId})", _connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // A broken connection took its session, and the lock with it.
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
