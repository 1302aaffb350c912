using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ChatOpsBot.Data;

/// <summary>
/// The registry on PostgreSQL, with its own migration set (Data/Migrations/Postgres). No released version ever ran on
/// PostgreSQL, so its Initial migration is the whole model of the version that introduced it.
/// </summary>
internal sealed class PostgresChatOpsBotDb(DbContextOptions<PostgresChatOpsBotDb> options) : ChatOpsBotDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        // Text compares and sorts by code point, as on SQLite, whatever locale the database was made with: apps and
        // channels list in the same order on both providers, and the text indexes need no locale rules.
        configurationBuilder.Properties<string>().UseCollation("C");
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        // Text without a length limit, as SQLite stores it: the lengths in the model say what a column is meant to hold,
        // but on PostgreSQL varchar(n) would turn an overlong value that SQLite keeps (a 300-character app name from
        // an IPA) into a failed request, and text costs the same. No character(n) either, which pads and compares
        // only after a cast.
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()).Where(p => p.ClrType == typeof(string)))
        {
            property.SetMaxLength(null);
            property.SetIsFixedLength(null);
        }
    }
}

/// <summary>What <c>dotnet ef migrations add --context PostgresChatOpsBotDb</c> uses; adding a migration never connects.</summary>
internal sealed class PostgresChatOpsBotDbDesignTimeFactory : IDesignTimeDbContextFactory<PostgresChatOpsBotDb>
{
    public PostgresChatOpsBotDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresChatOpsBotDb>().UseNpgsql("Host=localhost;Database=chatopsbot_design_time").Options);
}
