using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Announcements;

/// <summary>One announcement, as <c>GET /api/v1/announcements/{id}</c> tells it: the build, who announced it, and each target.</summary>
[Authorize(Policy = ConsoleAuthentication.ReleaseManager)]
internal sealed class AnnouncementDetailsModel(Announcer announcer) : PageModel
{
    public AnnouncementStatus? Announcement { get; private set; }

    public IReadOnlyList<AnnouncementDelivery> Targets { get; private set; } = [];

    public int Count(params DeliveryState[] states) => Targets.Count(t => states.Contains(t.State));

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        Announcement = await announcer.GetAnnouncementAsync(id, cancellationToken);
        if (Announcement is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        Targets = await announcer.DeliveriesAsync(id, cancellationToken);
        return Page();
    }
}
