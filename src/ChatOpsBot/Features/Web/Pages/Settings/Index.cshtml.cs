using ChatOpsBot.Features.ApiKeys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Settings;

/// <summary>Settings (Admin): the API keys, what is configured and what is missing, the job dashboard.</summary>
[Authorize(Policy = ConsoleAuthentication.Admin)]
internal sealed class SettingsModel(ApiKeyStore keys, IConfiguration configuration) : PageModel
{
    public List<ApiKeyListing> Keys { get; private set; } = [];

    public NewKeyForm KeyForm { get; private set; } = new(null, null, null, nameof(ApiRole.Uploader), "Create");

    public List<AreaStatus> Areas => ConfigurationStatus.Read(configuration);

    public bool DashboardEnabled => configuration.GetValue($"{ChatOpsBotOptions.Section}:Jobs:Dashboard", defaultValue: true);

    /// <summary>Set after a revocation (passed in the address by the revoke page's redirect).</summary>
    public string? Notice { get; private set; }

    public async Task OnGetAsync(string? revoked)
    {
        if (revoked is { Length: > 0 })
            Notice = "The key is revoked: it is refused from now on, by every replica.";
        Keys = await keys.ListAsync(HttpContext.RequestAborted);
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? role)
    {
        var person = ConsoleIdentity.From(User)!;
        var result = await keys.CreateAsync(name, role, person.Id, HttpContext.RequestAborted);
        KeyForm = KeyForm with { Result = result, Name = result.Key is null ? name : null, Role = result.Key is null ? role : null };
        if (result.Problem is not null)
            Response.StatusCode = StatusCodes.Status400BadRequest;
        Keys = await keys.ListAsync(HttpContext.RequestAborted);
        return Page();
    }
}
