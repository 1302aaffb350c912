using ChatOpsBot.Features.ApiKeys;

namespace ChatOpsBot.Features.Web.Pages.Settings;

/// <summary>The API-key form: what was just made (or why not), what was typed, and which handler it posts to.</summary>
internal sealed record NewKeyForm(ApiKeyCreation? Result, string? Name, string? Role, string DefaultRole, string Handler)
{
    public const string Partial = "/Features/Web/Pages/Settings/_NewKey.cshtml";
}
