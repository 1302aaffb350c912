using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages;

internal sealed class IndexModel(SignInChoices choices, FirstRun firstRun) : PageModel
{
    public ConsoleIdentity? Person { get; private set; }

    public SignInChoices Choices => choices;

    /// <summary>Before set-up: the one-time set-up address is waiting in the host's log.</summary>
    public bool AwaitingSetup { get; private set; }

    public async Task OnGetAsync()
    {
        Person = ConsoleIdentity.From(User);
        if (Person is null)
            AwaitingSetup = await firstRun.AwaitingSetupAsync(HttpContext.RequestAborted);
    }
}
