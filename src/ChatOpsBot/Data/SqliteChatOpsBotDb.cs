using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ChatOpsBot.Data;

/// <summary>
/// The registry on SQLite. Its own type so that its migrations (Data/Migrations/Sqlite) are a set of their own: EF
/// Core picks a context's migrations by the context type, and another provider's SQL differs.
/// </summary>
internal sealed class SqliteChatOpsBotDb(DbContextOptions<SqliteChatOpsBotDb> options) : ChatOpsBotDb(options);

/// <summary>
/// What <c>dotnet ef migrations add</c> uses instead of booting the host, which would need a valid configuration.
/// Adding a migration never opens the database.
/// </summary>
internal sealed class SqliteChatOpsBotDbDesignTimeFactory : IDesignTimeDbContextFactory<SqliteChatOpsBotDb>
{
    public SqliteChatOpsBotDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteChatOpsBotDb>().UseSqlite("Data Source=design-time.db").Options);
}
