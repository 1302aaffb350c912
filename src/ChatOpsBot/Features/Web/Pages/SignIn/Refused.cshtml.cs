using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.SignIn;

/// <summary>Where a person lands whose workspace or tenant this host does not serve: no session, a 403 and why.</summary>
internal sealed partial class RefusedModel : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Why { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Id { get; set; }

    /// <summary>
    /// The page's own sentences: anyone can type this address, so it shows no text from it but a workspace or tenant
    /// id of the shape Slack and Entra use.
    /// </summary>
    public string Reason => (Why, Id is { } id && IdShape().IsMatch(id) ? id : null) switch
    {
        (RefusedWhy.Workspace, { } team) => $"Your Slack workspace ({team}) is not one this ChatOpsBot serves.",
        (RefusedWhy.Tenant, { } tenant) => $"Your Microsoft organisation (tenant {tenant}) is not one this ChatOpsBot serves.",
        (RefusedWhy.UnknownHome, _) =>
            "This ChatOpsBot does not know which Slack workspace it serves yet, so it lets nobody in with Slack. Ask its operator to set Slack:AllowedTeamIds (or Slack:BotToken).",
        (RefusedWhy.Unidentified, _) => "The sign-in provider did not say which workspace or organisation you belong to.",
        _ => "Your workspace or organisation is not one this ChatOpsBot serves.",
    };

    public void OnGet() => Response.StatusCode = StatusCodes.Status403Forbidden;

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex IdShape();
}
