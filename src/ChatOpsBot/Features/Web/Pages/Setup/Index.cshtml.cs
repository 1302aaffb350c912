using ChatOpsBot.Features.ApiKeys;
using ChatOpsBot.Features.Web.Pages.Settings;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Setup;

/// <summary>The walk-through after the set-up address: the first API key, Slack, Teams, a sample build.</summary>
[Authorize(Policy = ConsoleAuthentication.Admin)]
internal sealed class SetupModel(ApiKeyStore keys, ChatAppManifests manifests, SampleBuild sample) : PageModel
{
    public NewKeyForm KeyForm { get; private set; } = new(null, null, null, nameof(ApiRole.Admin), "Key");

    public SampleBuildOutcome? Sample { get; private set; }

    public string SlackManifest => manifests.SlackManifest();

    public string MessagingEndpoint => manifests.PublicBaseUrl + "/api/messages";

    public string? TeamsBotId => manifests.TeamsBotId;

    public async Task<IActionResult> OnPostKeyAsync(string? name, string? role)
    {
        var person = ConsoleIdentity.From(User)!;
        var result = await keys.CreateAsync(name, role, person.Id, HttpContext.RequestAborted);
        KeyForm = KeyForm with { Result = result, Name = result.Key is null ? name : null, Role = result.Key is null ? role : null };
        if (result.Problem is not null)
            Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    public async Task<IActionResult> OnPostSampleAsync()
    {
        Sample = await sample.AddAsync(ConsoleIdentity.From(User)!, HttpContext.RequestAborted);
        if (Sample.BuildId is null)
            Response.StatusCode = StatusCodes.Status500InternalServerError;
        return Page();
    }
}
