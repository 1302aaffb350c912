using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ChatOpsBot.Data;

/// <summary>
/// The registry on PostgreSQL, with its own migration set (Data/Migrations/Postgres). No released version ever ran on
/// PostgreSQL, so its Initial migration is the whole model of the version that introduced it.
/// </summary>
internal sealed class PostgresChatOpsBotDb(DbContextOptions<PostgresChatOpsBotDb> options) : ChatOpsBotDb(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        // character(n) pads, compares as text only after a cast (which the column's index cannot serve), and PostgreSQL
        // itself advises against it; a hash is always 64 characters, so varchar(64) says the same without the quirks.
        modelBuilder.Entity<Build>(build =>
        {
            build.Property(b => b.Sha256).IsFixedLength(false);
            build.Property(b => b.IconSha256).IsFixedLength(false);
        });
    }
}

/// <summary>What <c>dotnet ef migrations add --context PostgresChatOpsBotDb</c> uses; adding a migration never connects.</summary>
internal sealed class PostgresChatOpsBotDbDesignTimeFactory : IDesignTimeDbContextFactory<PostgresChatOpsBotDb>
{
    public PostgresChatOpsBotDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresChatOpsBotDb>().UseNpgsql("Host=localhost;Database=chatopsbot_design_time").Options);
}
