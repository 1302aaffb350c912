using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Setup;

/// <summary>The Teams app package for the configured Teams:MicrosoftAppId; without one, back to the set-up page that says so.</summary>
[Authorize(Policy = ConsoleAuthentication.Admin)]
internal sealed class TeamsPackageModel(ChatAppManifests manifests) : PageModel
{
    public IActionResult OnGet() =>
        manifests.TeamsPackage() is { } package
            ? File(package, "application/zip", "chatopsbot-teams.zip")
            : LocalRedirect("~/setup#teams");
}
