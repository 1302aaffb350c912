using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.SignIn;

/// <summary>Where a person lands whose workspace or tenant this host does not serve: no session, a 403 and why.</summary>
internal sealed class RefusedModel : PageModel
{
    private const string Generic = "Your workspace or organisation is not one this ChatOpsBot serves.";

    [BindProperty(SupportsGet = true)]
    public string? Reason { get; set; }

    public void OnGet()
    {
        // Only a short sentence: the address is the host's own redirect, but anyone can type one.
        Reason = Reason is { Length: > 0 and <= 300 } ? Reason : Generic;
        Response.StatusCode = StatusCodes.Status403Forbidden;
    }
}
