using Npgsql;

namespace ChatOpsBot.Data;

/// <summary>
/// The host's one <see cref="NpgsqlDataSource"/> on PostgreSQL, and so its one connection pool: EF Core takes it from
/// the host's services, and the manifest lookup, the artifact locks and Hangfire open their connections from it too.
/// </summary>
internal static class PostgresDataSource
{
    private const string Key = $"{ChatOpsBotOptions.Section}:Database:ConnectionString";

    /// <summary>What is wrong with the PostgreSQL settings; never the connection string itself, which holds a password.</summary>
    public static IEnumerable<string> Validate(DatabaseOptions database)
    {
        if (database.Provider != DatabaseProvider.Postgres)
            yield break;
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            yield return $"{Key} is required when {ChatOpsBotOptions.Section}:Database:Provider is Postgres, in Npgsql's syntax: " +
                "Host=db.example.com;Database=chatopsbot;Username=chatopsbot;Password=…";
            yield break;
        }
        if (Problem(database.ConnectionString) is { } problem)
            yield return $"{Key} is not a valid Npgsql connection string: {problem}";
    }

    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Names the replica's connections in pg_stat_activity unless the operator chose a name.
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
            builder.ConnectionStringBuilder.ApplicationName = "ChatOpsBot";
        // Nothing here uses TransactionScope; Hangfire.PostgreSql asks for connections that do not enlist in one.
        builder.ConnectionStringBuilder.Enlist = false;
        return builder.Build();
    }

    private static string? Problem(string connectionString)
    {
        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(parsed.Host) ? "it names no Host." : null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql's own sentence names the keyword at fault ("Keyword not supported: 'hots'"), not its value.
            return e.Message;
        }
    }
}
