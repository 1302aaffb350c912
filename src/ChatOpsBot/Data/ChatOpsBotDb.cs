using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ChatOpsBot.Data;

/// <summary>
/// The registry's model, the same for every provider. Each provider has a derived context of its own
/// (<see cref="SqliteChatOpsBotDb"/>) that its migration set belongs to, as EF Core needs one set per provider.
/// </summary>
internal class ChatOpsBotDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<App> Apps => Set<App>();

    public DbSet<Build> Builds => Set<Build>();

    public DbSet<InstallLink> InstallLinks => Set<InstallLink>();

    public DbSet<LinkEvent> LinkEvents => Set<LinkEvent>();

    public DbSet<LinkDownload> LinkDownloads => Set<LinkDownload>();

    public DbSet<Subscription> Subscriptions => Set<Subscription>();

    public DbSet<Announcement> Announcements => Set<Announcement>();

    public DbSet<AnnouncementDelivery> AnnouncementDeliveries => Set<AnnouncementDelivery>();

    public DbSet<TeamsConversation> TeamsConversations => Set<TeamsConversation>();

    public DbSet<SentLinkMessage> LinkMessages => Set<SentLinkMessage>();

    public DbSet<ChatEventClaim> ChatEventClaims => Set<ChatEventClaim>();

    public DbSet<TeamsServiceUrl> TeamsServiceUrls => Set<TeamsServiceUrl>();

    public DbSet<StoredApiKey> ApiKeys => Set<StoredApiKey>();

    public DbSet<SetupCode> SetupCodes => Set<SetupCode>();

    /// <summary>The console's Data Protection key ring on PostgreSQL (on SQLite the keys are files in the data directory).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Device> Devices => Set<Device>();

    public DbSet<DeviceLink> DeviceLinks => Set<DeviceLink>();

    public DbSet<BuildDevice> BuildDevices => Set<BuildDevice>();

    public DbSet<DeviceHint> DeviceHints => Set<DeviceHint>();

    public DbSet<DeviceRequest> DeviceRequests => Set<DeviceRequest>();

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
            app.Property(a => a.AndroidPackage).HasMaxLength(255);
            app.Property(a => a.DisplayName).HasMaxLength(255);
            app.Property(a => a.DefaultChannel).HasMaxLength(32);
        });
        modelBuilder.Entity<Build>(build =>
        {
            build.HasOne(b => b.App).WithMany().HasForeignKey(b => b.AppId).OnDelete(DeleteBehavior.Restrict);
            // The same file twice in one app and channel is one active build; once that build is revoked, the file
            // may be uploaded again as a new one.
            build.HasIndex(b => new { b.AppId, b.Channel, b.Sha256 }).IsUnique().HasFilter("\"State\" = 'Active'");
            build.HasIndex(b => new { b.AppId, b.Channel, b.State });
            // Whether an artifact may be deleted is asked by hash, as an IPA or as an icon.
            build.HasIndex(b => b.Sha256);
            build.HasIndex(b => b.IconSha256);
            build.Property(b => b.Channel).HasMaxLength(32);
            build.Property(b => b.Sha256).HasMaxLength(64).IsFixedLength();
            build.Property(b => b.IconSha256).HasMaxLength(64).IsFixedLength();
            build.Property(b => b.State).HasConversion<string>().HasMaxLength(16);
            build.Property(b => b.ProfileType).HasConversion<string>().HasMaxLength(16);
            build.Property(b => b.Notes).HasMaxLength(10_000);
            build.Property(b => b.Platform).HasMaxLength(16).HasDefaultValue(BuildPlatforms.Ios);
            build.Property(b => b.IconContentType).HasMaxLength(32).HasDefaultValue("image/png");
            build.Property(b => b.Abis).HasMaxLength(255);
            build.Property(b => b.FormFactor).HasMaxLength(16);
            build.Property(b => b.SignersJson).HasMaxLength(8_000);
        });
        modelBuilder.Entity<InstallLink>(link =>
        {
            link.HasOne(l => l.Build).WithMany().HasForeignKey(l => l.BuildId).OnDelete(DeleteBehavior.Restrict);
            link.HasOne(l => l.SecondBuild).WithMany().HasForeignKey(l => l.SecondBuildId).OnDelete(DeleteBehavior.Restrict);
            // Revoking a build stops the links for both phones it is the second build of, found through this index.
            link.HasIndex(l => l.SecondBuildId).HasFilter("\"SecondBuildId\" IS NOT NULL");
            link.HasIndex(l => l.TokenHash).IsUnique();
            link.HasIndex(l => new { l.BuildId, l.RevokedAt });
            // A link is expired once ExpiresAt has passed: every reader checks it, so nothing marks it. What the expiry
            // job still writes is the token hash's deletion once a link is dead (past expiry or revocation by the
            // download grace): these two indexes hold only links that still have a hash, so each run reads just the
            // newly dead, and a link leaves them as its hash goes.
            link.HasIndex(l => l.ExpiresAt).HasFilter("\"TokenHash\" IS NOT NULL");
            link.HasIndex(l => l.RevokedAt).HasFilter("\"TokenHash\" IS NOT NULL AND \"RevokedAt\" IS NOT NULL");
            link.Property(l => l.TokenHash).HasMaxLength(32);
            link.Property(l => l.Platform).HasMaxLength(16);
            link.Property(l => l.Workspace).HasMaxLength(64);
            link.Property(l => l.UserId).HasMaxLength(128);
            link.Property(l => l.UserName).HasMaxLength(255);
        });
        modelBuilder.Entity<LinkEvent>(e =>
        {
            // No foreign key to InstallLinks: an event is written only for a link just read, and links are never
            // deleted (their rows are the audit), so the key would guard nothing; on PostgreSQL its check, a trigger
            // run per inserted row, cost more than the rest of the insert (EXPLAIN ANALYZE of the 95-row insert the
            // manifest path sends: 1.9 ms with it, 0.55 ms without), and these are most of what the host writes.
            e.HasIndex(x => x.LinkId);
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.UserAgent).HasMaxLength(512);
        });
        modelBuilder.Entity<LinkDownload>(d =>
        {
            d.HasOne<InstallLink>().WithMany().HasForeignKey(x => x.LinkId).OnDelete(DeleteBehavior.Cascade);
            d.HasIndex(x => x.LinkId);
            d.Property(x => x.UserAgent).HasMaxLength(512);
        });
        modelBuilder.Entity<Subscription>(s =>
        {
            s.HasOne(x => x.App).WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
            s.HasIndex(x => new { x.AppId, x.Channel, x.Platform, x.ConversationId }).IsUnique();
            s.HasIndex(x => new { x.Platform, x.ConversationId });
            s.Property(x => x.Channel).HasMaxLength(32);
            s.Property(x => x.Platform).HasMaxLength(16);
            s.Property(x => x.Workspace).HasMaxLength(64);
            s.Property(x => x.ConversationId).HasMaxLength(255);
            s.Property(x => x.ServiceUrl).HasMaxLength(512);
            s.Property(x => x.ConversationName).HasMaxLength(255);
            s.Property(x => x.CreatedBy).HasMaxLength(255);
        });
        modelBuilder.Entity<Announcement>(a =>
        {
            a.HasOne(x => x.Build).WithMany().HasForeignKey(x => x.BuildId).OnDelete(DeleteBehavior.Restrict);
            a.Property(x => x.AnnouncedBy).HasMaxLength(255);
        });
        modelBuilder.Entity<AnnouncementDelivery>(d =>
        {
            d.HasOne(x => x.Announcement).WithMany().HasForeignKey(x => x.AnnouncementId).OnDelete(DeleteBehavior.Cascade);
            d.HasIndex(x => x.AnnouncementId);
            // What the recovery sweep looks for: pending rows by due time, sending rows by claim deadline.
            d.HasIndex(x => new { x.State, x.NextAttemptAt });
            d.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            d.Property(x => x.Platform).HasMaxLength(16);
            d.Property(x => x.Workspace).HasMaxLength(64);
            d.Property(x => x.ConversationId).HasMaxLength(255);
            d.Property(x => x.ServiceUrl).HasMaxLength(512);
            d.Property(x => x.ConversationName).HasMaxLength(255);
            d.Property(x => x.ClaimToken).HasMaxLength(32);
            d.Property(x => x.LastError).HasMaxLength(1000);
            d.Property(x => x.MessageId).HasMaxLength(255);
        });
        modelBuilder.Entity<SentLinkMessage>(m =>
        {
            m.ToTable("LinkMessages");
            m.HasOne(x => x.Link).WithMany().HasForeignKey(x => x.LinkId).OnDelete(DeleteBehavior.Cascade);
            m.HasIndex(x => x.LinkId);
            // What the expiry job and the update job look for: live rows whose link died, pending and claimed rows.
            m.HasIndex(x => new { x.State, x.ClaimExpiresAt });
            m.Property(x => x.Platform).HasMaxLength(16);
            m.Property(x => x.ResponseUrl).HasMaxLength(1024);
            m.Property(x => x.ServiceUrl).HasMaxLength(512);
            m.Property(x => x.ConversationId).HasMaxLength(512);
            m.Property(x => x.ActivityId).HasMaxLength(255);
            m.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            m.Property(x => x.ClaimToken).HasMaxLength(32);
        });
        modelBuilder.Entity<TeamsConversation>(c =>
        {
            // Remembering a conversation twice at once keeps one row: the index decides.
            c.HasIndex(x => x.ConversationId).IsUnique();
            c.Property(x => x.ConversationId).HasMaxLength(512);
            c.Property(x => x.ServiceUrl).HasMaxLength(512);
            c.Property(x => x.TenantId).HasMaxLength(64);
            c.Property(x => x.BotId).HasMaxLength(255);
            c.Property(x => x.ConversationType).HasMaxLength(32);
            c.Property(x => x.Name).HasMaxLength(255);
        });
        modelBuilder.Entity<ChatEventClaim>(c =>
        {
            c.HasKey(x => new { x.Platform, x.Key });
            c.HasIndex(x => x.ExpiresAt);
            c.Property(x => x.Platform).HasMaxLength(16);
            c.Property(x => x.Key).HasMaxLength(255);
        });
        modelBuilder.Entity<TeamsServiceUrl>(u =>
        {
            u.HasKey(x => x.Url);
            u.Property(x => x.Url).HasMaxLength(512);
        });
        modelBuilder.Entity<StoredApiKey>(k =>
        {
            // A presented key is looked up by its hash on every API request.
            k.HasIndex(x => x.KeyHash).IsUnique();
            // Two live keys never share a name, so a form posted twice makes one key.
            k.HasIndex(x => x.Name).IsUnique().HasFilter("\"RevokedAt\" IS NULL");
            k.Property(x => x.Name).HasMaxLength(64);
            k.Property(x => x.Role).HasConversion<string>().HasMaxLength(16);
            k.Property(x => x.KeyHash).HasMaxLength(64).IsFixedLength();
            k.Property(x => x.CreatedBy).HasMaxLength(255);
            k.Property(x => x.RevokedBy).HasMaxLength(255);
        });
        modelBuilder.Entity<SetupCode>(c =>
        {
            c.Property(x => x.Id).ValueGeneratedNever();
            c.Property(x => x.CodeHash).HasMaxLength(64).IsFixedLength();
        });
        modelBuilder.Entity<Device>(d =>
        {
            // The same device reported again by the same person updates their row.
            d.HasIndex(x => new { x.Platform, x.Workspace, x.UserId, x.UdidNormalized }).IsUnique();
            d.HasIndex(x => x.UdidNormalized);
            d.Property(x => x.Platform).HasMaxLength(16);
            d.Property(x => x.Workspace).HasMaxLength(64);
            d.Property(x => x.UserId).HasMaxLength(128);
            d.Property(x => x.OwnerName).HasMaxLength(255);
            d.Property(x => x.Udid).HasMaxLength(64);
            d.Property(x => x.UdidNormalized).HasMaxLength(64);
            d.Property(x => x.Product).HasMaxLength(128);
            d.Property(x => x.Version).HasMaxLength(128);
            d.Property(x => x.Serial).HasMaxLength(128);
            d.Property(x => x.Name).HasMaxLength(255);
        });
        modelBuilder.Entity<DeviceLink>(l =>
        {
            l.HasIndex(x => x.TokenHash).IsUnique();
            l.HasIndex(x => x.ExpiresAt);
            l.HasOne<Device>().WithMany().HasForeignKey(x => x.DeviceId).OnDelete(DeleteBehavior.SetNull);
            l.Property(x => x.TokenHash).HasMaxLength(32);
            l.Property(x => x.Challenge).HasMaxLength(64);
            l.Property(x => x.Platform).HasMaxLength(16);
            l.Property(x => x.Workspace).HasMaxLength(64);
            l.Property(x => x.UserId).HasMaxLength(128);
            l.Property(x => x.UserName).HasMaxLength(255);
        });
        modelBuilder.Entity<BuildDevice>(b =>
        {
            b.HasKey(x => new { x.BuildId, x.Udid });
            b.HasOne(x => x.Build).WithMany().HasForeignKey(x => x.BuildId).OnDelete(DeleteBehavior.Cascade);
            b.Property(x => x.Udid).HasMaxLength(64);
        });
        modelBuilder.Entity<DeviceHint>(h =>
        {
            h.HasKey(x => new { x.Platform, x.Workspace, x.UserId });
            h.Property(x => x.Platform).HasMaxLength(16);
            h.Property(x => x.Workspace).HasMaxLength(64);
            h.Property(x => x.UserId).HasMaxLength(128);
        });
        modelBuilder.Entity<DeviceRequest>(r =>
        {
            // One request per person and app: pressing again finds it instead of asking twice.
            r.HasIndex(x => new { x.Platform, x.Workspace, x.UserId, x.AppId }).IsUnique();
            // The upload of a build looks up the app's waiting requests.
            r.HasIndex(x => new { x.AppId, x.FulfilledAt });
            r.HasOne<App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
            r.Property(x => x.Platform).HasMaxLength(16);
            r.Property(x => x.Workspace).HasMaxLength(64);
            r.Property(x => x.UserId).HasMaxLength(128);
            r.Property(x => x.UserName).HasMaxLength(255);
            r.Property(x => x.ServiceUrl).HasMaxLength(2048);
        });
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
