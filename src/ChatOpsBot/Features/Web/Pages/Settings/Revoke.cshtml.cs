using ChatOpsBot.Data;
using ChatOpsBot.Features.ApiKeys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Settings;

/// <summary>Revoking a database API key, after a confirmation page.</summary>
[Authorize(Policy = ConsoleAuthentication.Admin)]
internal sealed class RevokeKeyModel(ApiKeyStore keys) : PageModel
{
    public StoredApiKey? Key { get; private set; }

    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id)
    {
        Key = await keys.FindAsync(id, HttpContext.RequestAborted);
        return Check();
    }

    public async Task<IActionResult> OnPostAsync(long id)
    {
        var person = ConsoleIdentity.From(User)!;
        if (await keys.RevokeAsync(id, person.Id, HttpContext.RequestAborted))
            return LocalRedirect("~/settings?revoked=" + id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Nothing changed: say why (revoked before — a form sent twice — or no such key).
        Key = await keys.FindAsync(id, HttpContext.RequestAborted);
        return Check();
    }

    private PageResult Check()
    {
        if (Key is null)
        {
            Problem = "There is no such API key. Keys of ChatOpsBot:ApiKeys are removed from the configuration instead.";
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
        else if (Key.RevokedAt is not null)
        {
            return Gone();
        }
        return Page();
    }

    private PageResult Gone()
    {
        Problem = $"The key \"{Key!.Name}\" is revoked already; nothing changed.";
        Response.StatusCode = StatusCodes.Status409Conflict;
        return Page();
    }
}
