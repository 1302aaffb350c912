using ChatOpsBot.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.Web.Pages.Apps;

internal sealed class AppModel(ChatOpsBotDb db, TimeProvider time) : PageModel
{
    private const int MaxBuilds = 200;

    public App? App { get; private set; }

    /// <summary>Newest first, revoked builds included, at most <see cref="MaxBuilds"/>.</summary>
    public IReadOnlyList<IGrouping<string, Build>> Channels { get; private set; } = [];

    public ConsoleProblem? Problem { get; private set; }

    public DateTime Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(string app, CancellationToken cancellationToken)
    {
        Now = time.GetUtcNow().UtcDateTime;
        App = await db.Apps.AsNoTracking().SingleOrDefaultAsync(a => a.Slug == app, cancellationToken);
        if (App is null)
        {
            Problem = new ConsoleProblem("No such app", $"There is no app '{app}'. The apps page lists every app.");
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        var appId = App.Id;
        var builds = await db.Builds.AsNoTracking().Where(b => b.AppId == appId).OrderByDescending(b => b.Id).Take(MaxBuilds).ToListAsync(cancellationToken);
        Channels = [.. builds.GroupBy(b => b.Channel).OrderBy(g => g.Key, StringComparer.Ordinal)];
        return Page();
    }
}
