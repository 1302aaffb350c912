using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Setup;

/// <summary>
/// The one-time set-up address. Opening it only shows a button, so a link preview or a scanner that fetches the
/// address does not use it up; posting the form uses the code and signs the visitor in as an administrator.
/// </summary>
[AllowAnonymous]
internal sealed class SetupCodeModel(FirstRun firstRun) : PageModel
{
    public string? Problem { get; private set; }

    public IActionResult OnGet()
    {
        if (!firstRun.MayServe(HttpContext))
            return Refused();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string code)
    {
        if (!firstRun.MayServe(HttpContext))
            return Refused();
        if (!await firstRun.RedeemAsync(code, HttpContext.RequestAborted))
        {
            Problem = "This set-up address has been used already, has expired (it works for 24 hours), or is not one this ChatOpsBot issued. " +
                "Restarting the host after it expires logs a new one, as long as no administrator is configured.";
            Response.StatusCode = StatusCodes.Status410Gone;
            return Page();
        }
        await ConsoleAuthentication.SignInAsync(HttpContext, FirstRun.SetupAdmin);
        return LocalRedirect("~/setup");
    }

    private PageResult Refused()
    {
        Problem = "The set-up address works only over https, or in a browser on the host's own machine (http://localhost). " +
            "Open it there, or give ChatOpsBot an https PublicBaseUrl.";
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }
}
