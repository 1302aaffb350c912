using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages;

internal sealed class IndexModel(SignInChoices choices) : PageModel
{
    public ConsoleIdentity? Person { get; private set; }

    public SignInChoices Choices => choices;

    public void OnGet() => Person = ConsoleIdentity.From(User);
}
