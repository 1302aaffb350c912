using ChatOpsBot.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Web.Pages.Apps;

/// <summary>One channel of an app as the apps page shows it: its newest active build and how many it has.</summary>
internal sealed record ChannelRow(string Channel, int ActiveBuilds, Build Newest);

internal sealed record AppRow(App App, IReadOnlyList<ChannelRow> Channels);

internal sealed class AppsModel(ChatOpsBotDb db, TimeProvider time) : PageModel
{
    public IReadOnlyList<AppRow> Apps { get; private set; } = [];

    public DateTime Now { get; private set; }

    public ConsoleIdentity? Person { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Person = ConsoleIdentity.From(User);
        Now = time.GetUtcNow().UtcDateTime;
        var apps = await db.Apps.AsNoTracking().OrderBy(a => a.Slug).ToListAsync(cancellationToken);
        var channels = await db.Builds.AsNoTracking()
            .Where(b => b.State == BuildState.Active)
            .GroupBy(b => new { b.AppId, b.Channel })
            .Select(g => new { g.Key.AppId, g.Key.Channel, Count = g.Count(), Newest = g.Max(b => b.Id) })
            .ToListAsync(cancellationToken);
        var newestIds = channels.Select(c => c.Newest).ToList();
        var newest = await db.Builds.AsNoTracking().Where(b => newestIds.Contains(b.Id)).ToDictionaryAsync(b => b.Id, cancellationToken);
        Apps = [.. apps.Select(a => new AppRow(a, [.. channels.Where(c => c.AppId == a.Id)
            .OrderBy(c => c.Channel, StringComparer.Ordinal)
            .Select(c => new ChannelRow(c.Channel, c.Count, newest[c.Newest]))]))];
    }
}
