using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Setup;

/// <summary>Slack's app manifest with this host's PublicBaseUrl, as a file to download.</summary>
[Authorize(Policy = ConsoleAuthentication.Admin)]
internal sealed class SlackManifestModel(ChatAppManifests manifests) : PageModel
{
    public FileContentResult OnGet() =>
        File(System.Text.Encoding.UTF8.GetBytes(manifests.SlackManifest()), "application/yaml", "chatopsbot-slack-manifest.yml");
}
