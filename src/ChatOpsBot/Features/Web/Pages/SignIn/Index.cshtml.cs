using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.SignIn;

internal sealed class SignInModel(SignInChoices choices, ApiKeySignIn keys) : PageModel
{
    public SignInChoices Choices => choices;

    public string? Error { get; private set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string ReturnQuery => LocalReturn(ReturnUrl) is { } url ? "?returnUrl=" + Uri.EscapeDataString(url) : "";


    public async Task<IActionResult> OnPostAsync([FromForm] string? key)
    {
        if (await keys.VerifyAsync(key, HttpContext.RequestAborted) is not { } person)
        {
            Error = "That is not an Admin API key of this ChatOpsBot.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await ConsoleAuthentication.SignInAsync(HttpContext, person);
        return LocalRedirect(LocalReturn(ReturnUrl) ?? "~/");
    }

    /// <summary>Only a path on this origin: a return address elsewhere would make sign-in an open redirect.</summary>
    public static string? LocalReturn(string? url) =>
        url is { Length: > 1 } && url[0] == '/' && url[1] != '/' && url[1] != '\\' && !url.Contains('\\', StringComparison.Ordinal) ? url : null;
}
