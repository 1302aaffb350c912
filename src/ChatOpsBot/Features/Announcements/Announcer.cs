using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Chat;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Announcements;

internal enum AnnounceProblem
{
    UnknownBuild,
    RevokedBuild,
}

internal sealed record AnnounceOutcome(Announcement? Announcement, int Conversations, AnnounceProblem? Problem);

/// <summary>
/// Subscriptions, and the announce operation the chat engine, the API and the upload share: the announcement and
/// one delivery per subscribed conversation are written in one transaction before any job exists, so a crash at
/// any point leaves rows the recovery sweep finds.
/// </summary>
internal sealed partial class Announcer(ChatOpsBotDb db, IBackgroundJobClient jobs, TimeProvider time, ILogger<Announcer> logger) : IAnnouncements
{
    public async Task<AnnounceOutcome> AnnounceAsync(long buildId, string announcedBy, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking().Where(b => b.Id == buildId)
            .Select(b => new { b.Id, b.AppId, b.Channel, b.State }).SingleOrDefaultAsync(cancellationToken);
        if (build is null)
            return new(null, 0, AnnounceProblem.UnknownBuild);
        if (build.State != BuildState.Active)
            return new(null, 0, AnnounceProblem.RevokedBuild);

        var subscriptions = await db.Subscriptions.AsNoTracking()
            .Where(s => s.AppId == build.AppId && s.Channel == build.Channel)
            .OrderBy(s => s.Id).ToListAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var announcement = db.Announcements.Add(new Announcement { BuildId = build.Id, AnnouncedBy = announcedBy, CreatedAt = now }).Entity;
        var deliveries = subscriptions.Select(s => db.AnnouncementDeliveries.Add(new AnnouncementDelivery
        {
            Announcement = announcement,
            Platform = s.Platform,
            Workspace = s.Workspace,
            ConversationId = s.ConversationId,
            ServiceUrl = s.ServiceUrl,
            ConversationName = s.ConversationName,
            State = DeliveryState.Pending,
            NextAttemptAt = now,
        }).Entity).ToList();
        await db.SaveChangesAsync(cancellationToken);
        LogAnnounced(announcement.Id, build.Id, deliveries.Count, announcedBy);

        foreach (var delivery in deliveries)
            AnnouncementOutbox.Enqueue(jobs, delivery.Id, logger);
        return new(announcement, deliveries.Count, null);
    }

    async Task<AnnouncementStarted> IAnnouncements.AnnounceAsync(long buildId, ChatUser announcer, CancellationToken cancellationToken)
    {
        var outcome = await AnnounceAsync(buildId, $"{announcer.DisplayName} ({announcer.Platform})", cancellationToken);
        var announcement = outcome.Announcement ?? throw new InvalidOperationException($"Build {buildId} cannot be announced: {outcome.Problem}");
        return new AnnouncementStarted(announcement.Id, outcome.Conversations);
    }

    public async Task<bool> SubscribeAsync(string appSlug, string channel, ConversationAddress conversation, ChatUser user, CancellationToken cancellationToken)
    {
        var appId = await db.Apps.Where(a => a.Slug == appSlug).Select(a => a.Id).SingleAsync(cancellationToken);
        var existing = await db.Subscriptions.SingleOrDefaultAsync(s => s.AppId == appId && s.Channel == channel
            && s.Platform == conversation.Platform && s.ConversationId == conversation.ConversationId, cancellationToken);
        if (existing is not null)
        {
            // Teams may move a conversation to another regional service URL; keep the newest address.
            existing.ServiceUrl = conversation.ServiceUrl ?? existing.ServiceUrl;
            existing.ConversationName = conversation.Name ?? existing.ConversationName;
            await db.SaveChangesAsync(cancellationToken);
            return false;
        }
        db.Subscriptions.Add(new Subscription
        {
            AppId = appId,
            Channel = channel,
            Platform = conversation.Platform,
            Workspace = conversation.Workspace,
            ConversationId = conversation.ConversationId,
            ServiceUrl = conversation.ServiceUrl,
            ConversationName = conversation.Name,
            CreatedBy = $"{user.DisplayName} ({user.Platform} {user.UserId})",
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            // The same subscribe typed twice at once: the unique index kept one.
            return false;
        }
    }

    public async Task<bool> UnsubscribeAsync(string appSlug, string channel, ConversationAddress conversation, CancellationToken cancellationToken) =>
        await db.Subscriptions
            .Where(s => s.App.Slug == appSlug && s.Channel == channel && s.Platform == conversation.Platform && s.ConversationId == conversation.ConversationId)
            .ExecuteDeleteAsync(cancellationToken) > 0;

    public async Task<IReadOnlyList<CatalogSubscription>> ListSubscriptionsAsync(ConversationAddress conversation, CancellationToken cancellationToken) =>
        await db.Subscriptions.AsNoTracking()
            .Where(s => s.Platform == conversation.Platform && s.ConversationId == conversation.ConversationId)
            .OrderBy(s => s.App.Slug).ThenBy(s => s.Channel)
            .Select(s => new CatalogSubscription(s.App.Slug, s.App.DisplayName, s.Channel))
            .ToListAsync(cancellationToken);

    public async Task<AnnouncementStatus?> GetAnnouncementAsync(long announcementId, CancellationToken cancellationToken)
    {
        var announcement = await db.Announcements.AsNoTracking().Include(a => a.Build).ThenInclude(b => b.App)
            .SingleOrDefaultAsync(a => a.Id == announcementId, cancellationToken);
        if (announcement is null)
            return null;
        var deliveries = await DeliveriesAsync(announcementId, cancellationToken);
        return new AnnouncementStatus(announcement.Id, ChatCatalog.ToCatalog(announcement.Build, announcement.Build.App.Slug), announcement.AnnouncedBy,
            new DateTimeOffset(announcement.CreatedAt, TimeSpan.Zero),
            [.. deliveries.Select(d => new AnnouncementTarget(
                new ConversationAddress(d.Platform, d.Workspace, d.ConversationId, d.ServiceUrl, d.ConversationName),
                d.State, d.Attempts, d.LastError, d.DeliveredAt is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null))]);
    }

    public Task<List<AnnouncementDelivery>> DeliveriesAsync(long announcementId, CancellationToken cancellationToken) =>
        db.AnnouncementDeliveries.AsNoTracking().Where(d => d.AnnouncementId == announcementId).OrderBy(d => d.Id).ToListAsync(cancellationToken);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Announcement {AnnouncementId} of build {BuildId} to {Conversations} conversations by {AnnouncedBy}")]
    private partial void LogAnnounced(long announcementId, long buildId, int conversations, string announcedBy);
}
