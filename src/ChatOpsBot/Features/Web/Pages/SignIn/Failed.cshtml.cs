using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.SignIn;

/// <summary>
/// Where a sign-in that went wrong at the provider lands (declined, an answer that does not belong to this browser's
/// sign-in, a token that does not verify, a provider out of reach): no session and a way to try again.
/// </summary>
internal sealed class FailedModel(SignInChoices choices) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Provider { get; set; }

    [BindProperty(SupportsGet = true, Name = "reason")]
    public string? Reason { get; set; }

    public string Message => Reason switch
    {
        "denied" => $"{Name} did not let you in: the sign-in was cancelled or declined.",
        "unreachable" => $"{Name} could not be reached. Try again in a moment.",
        _ => $"The answer from {Name} could not be verified, or it belonged to an earlier sign-in. Nothing was signed in.",
    };

    private string Name => Provider switch
    {
        "slack" => "Slack",
        "microsoft" => "Microsoft",
        _ => "The sign-in provider",
    };

    /// <summary>The same provider again when this host offers it; otherwise the sign-in choices.</summary>
    public string TryAgain => Provider switch
    {
        "slack" when choices.Slack => Request.PathBase + "/signin/slack",
        "microsoft" when choices.Microsoft => Request.PathBase + "/signin/microsoft",
        _ => Request.PathBase + "/signin",
    };
}
