using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Core.Tests.Chat;

/// <summary>In-memory subscriptions that record every announcement asked for.</summary>
internal sealed class FakeAnnouncements(FakeCatalog catalog) : IAnnouncements
{
    public List<(string Slug, string Channel, ConversationAddress Conversation)> Subscriptions { get; } = [];

    public List<(long BuildId, ChatUser Announcer)> Announced { get; } = [];

    public Dictionary<long, AnnouncementStatus> Statuses { get; } = [];

    public Task<bool> SubscribeAsync(string appSlug, string channel, ConversationAddress conversation, ChatUser user, CancellationToken cancellationToken)
    {
        if (Subscriptions.Contains((appSlug, channel, conversation)))
            return Task.FromResult(false);
        Subscriptions.Add((appSlug, channel, conversation));
        return Task.FromResult(true);
    }

    public Task<bool> UnsubscribeAsync(string appSlug, string channel, ConversationAddress conversation, CancellationToken cancellationToken) =>
        Task.FromResult(Subscriptions.Remove((appSlug, channel, conversation)));

    public Task<IReadOnlyList<CatalogSubscription>> ListSubscriptionsAsync(ConversationAddress conversation, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CatalogSubscription>>([.. Subscriptions.Where(s => s.Conversation == conversation)
            .Select(s => new CatalogSubscription(s.Slug, catalog.Apps.Single(a => a.Slug == s.Slug).Name, s.Channel))]);

    public Task<AnnouncementStarted> AnnounceAsync(long buildId, ChatUser announcer, CancellationToken cancellationToken)
    {
        Announced.Add((buildId, announcer));
        var build = catalog.Builds.Single(b => b.Id == buildId);
        return Task.FromResult(new AnnouncementStarted(Announced.Count, Subscriptions.Count(s => s.Slug == build.AppSlug && s.Channel == build.Channel)));
    }

    public Task<AnnouncementStatus?> GetAnnouncementAsync(long announcementId, CancellationToken cancellationToken) =>
        Task.FromResult(Statuses.GetValueOrDefault(announcementId));
}
