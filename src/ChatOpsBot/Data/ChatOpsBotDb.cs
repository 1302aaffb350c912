using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ChatOpsBot.Data;

internal sealed class ChatOpsBotDb(DbContextOptions<ChatOpsBotDb> options) : DbContext(options)
{
    public DbSet<App> Apps => Set<App>();

    public DbSet<Build> Builds => Set<Build>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Stored as UTC everywhere; SQLite hands DateTime back unspecified, so say what it is.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<App>(app =>
        {
            app.HasIndex(a => a.Slug).IsUnique();
            app.Property(a => a.Slug).HasMaxLength(40);
            app.Property(a => a.BundleId).HasMaxLength(255);
            app.Property(a => a.DisplayName).HasMaxLength(255);
            app.Property(a => a.DefaultChannel).HasMaxLength(32);
        });
        modelBuilder.Entity<Build>(build =>
        {
            build.HasOne(b => b.App).WithMany().HasForeignKey(b => b.AppId).OnDelete(DeleteBehavior.Restrict);
            // The same file twice in one app and channel is one build.
            build.HasIndex(b => new { b.AppId, b.Channel, b.Sha256 }).IsUnique();
            build.HasIndex(b => new { b.AppId, b.Channel, b.State });
            build.HasIndex(b => b.Sha256);
            build.Property(b => b.Channel).HasMaxLength(32);
            build.Property(b => b.Sha256).HasMaxLength(64).IsFixedLength();
            build.Property(b => b.IconSha256).HasMaxLength(64).IsFixedLength();
            build.Property(b => b.State).HasConversion<string>().HasMaxLength(16);
            build.Property(b => b.ProfileType).HasConversion<string>().HasMaxLength(16);
            build.Property(b => b.Notes).HasMaxLength(10_000);
        });
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
