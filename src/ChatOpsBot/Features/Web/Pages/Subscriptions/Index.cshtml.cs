using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Web.Pages.Subscriptions;

internal sealed record SubscriptionRow(long Id, string AppSlug, string AppName, string Channel, string Platform, string? Workspace,
    string ConversationId, string? ConversationName, string CreatedBy, DateTime CreatedAt)
{
    public string Conversation => ConversationName is { Length: > 0 } name ? name : ConversationId;
}

internal sealed record AnnouncementRow(long Id, long BuildId, string AppSlug, string AppName, string Channel, string Version, string BuildNumber,
    string AnnouncedBy, DateTime CreatedAt, IReadOnlyList<AnnouncementDelivery> Targets)
{
    public int Count(DeliveryState state) => Targets.Count(t => t.State == state);
}

/// <summary>
/// Which conversations get which app and channel (the subscriptions chat's <c>subscribe</c> writes), and where the
/// recent announcements went. A release manager may remove a subscription, after confirming.
/// </summary>
[Authorize(Policy = ConsoleAuthentication.ReleaseManager)]
internal sealed class SubscriptionsModel(ChatOpsBotDb db) : PageModel
{
    public const int RecentAnnouncements = 20;

    public IReadOnlyList<SubscriptionRow> Subscriptions { get; private set; } = [];

    public IReadOnlyList<AnnouncementRow> Announcements { get; private set; } = [];

    /// <summary>The subscription to confirm the removal of (<c>?remove={id}</c>).</summary>
    public SubscriptionRow? Removing { get; private set; }

    public string? Error { get; private set; }

    [BindProperty(SupportsGet = true)]
    public bool Removed { get; set; }

    public async Task<IActionResult> OnGetAsync([FromQuery] long? remove, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (remove is { } id)
        {
            Removing = Subscriptions.FirstOrDefault(s => s.Id == id);
            if (Removing is null)
                return Gone();
        }
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync([FromForm] long id, CancellationToken cancellationToken)
    {
        if (await db.Subscriptions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            await LoadAsync(cancellationToken);
            return Gone();
        }
        return LocalRedirect("~/subscriptions?removed=true");
    }

    private PageResult Gone()
    {
        Error = "That subscription no longer exists: someone unsubscribed it already.";
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Subscriptions = await db.Subscriptions.AsNoTracking()
            .OrderBy(s => s.App.Slug).ThenBy(s => s.Channel).ThenBy(s => s.Platform).ThenBy(s => s.ConversationName ?? s.ConversationId)
            .Select(s => new SubscriptionRow(s.Id, s.App.Slug, s.App.DisplayName, s.Channel, s.Platform, s.Workspace, s.ConversationId,
                s.ConversationName, s.CreatedBy, s.CreatedAt))
            .ToListAsync(cancellationToken);
        var announcements = await db.Announcements.AsNoTracking()
            .OrderByDescending(a => a.Id).Take(RecentAnnouncements)
            .Select(a => new { a.Id, a.BuildId, a.Build.App.Slug, AppName = a.Build.DisplayName, a.Build.Channel, a.Build.Version, a.Build.BuildNumber, a.AnnouncedBy, a.CreatedAt })
            .ToListAsync(cancellationToken);
        var ids = announcements.Select(a => a.Id).ToList();
        var deliveries = (await db.AnnouncementDeliveries.AsNoTracking().Where(d => ids.Contains(d.AnnouncementId)).OrderBy(d => d.Id).ToListAsync(cancellationToken))
            .ToLookup(d => d.AnnouncementId);
        Announcements = [.. announcements.Select(a => new AnnouncementRow(a.Id, a.BuildId, a.Slug, a.AppName, a.Channel, a.Version, a.BuildNumber,
            a.AnnouncedBy, a.CreatedAt, [.. deliveries[a.Id]]))];
    }
}
