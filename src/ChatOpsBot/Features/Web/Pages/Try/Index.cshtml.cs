using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Web.Pages.Try;

/// <summary>
/// Try a command: what the chat engine answers the signed-in person, drawn as Slack and as Teams would show it. The
/// engine here has no announcements (a page is no conversation to subscribe, and an announcement would post to
/// chat), so nothing is ever posted to Slack or Teams; everything else runs for real, links and revocations included.
/// </summary>
internal sealed class TryModel(IChatCatalog catalog, TimeProvider time, IOptions<ChatOpsBotOptions> options) : PageModel
{
    public const int MaxCommandLength = 500;

    [BindProperty]
    public string? Command { get; set; }

    public ChatReply? Reply { get; private set; }

    public IReadOnlyList<PreviewElement> Slack { get; private set; } = [];

    public IReadOnlyList<PreviewElement> Teams { get; private set; } = [];

    public string? Error { get; private set; }

    public ConsoleIdentity Person => ConsoleIdentity.From(User) ?? throw new InvalidOperationException("The Try page is for signed-in people.");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (Command is { Length: > MaxCommandLength })
        {
            Error = $"That command is longer than {MaxCommandLength} characters; chat commands are a few words.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        Show(await Engine().HandleAsync(new ChatCommand(ChatUser(), Command ?? ""), cancellationToken));
        return Page();
    }

    /// <summary>A reply's own button ("Get link"), pressed here as it would be in chat.</summary>
    public async Task<IActionResult> OnPostActionAsync([FromForm] string? actionId, [FromForm] string? value, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(actionId) || actionId.Length > 64 || value is null || value.Length > 256)
        {
            Error = "That button press was incomplete; try the command again.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        Show(await Engine().HandleActionAsync(new ChatAction(ChatUser(), actionId, value), cancellationToken));
        return Page();
    }

    // Built here rather than taken from the container, which gives chat's engine the announcer.
    private ChatEngine Engine() => new(catalog, time);

    /// <summary>The person as chat would see them: their own chat identity, release manager as their console role says.</summary>
    private ChatUser ChatUser() => new(Person.Platform, Person.Workspace, Person.UserId, Person.Name, Person.IsAtLeast(ConsoleRole.ReleaseManager));

    private void Show(ChatReply reply)
    {
        Reply = reply;
        var origin = options.Value.PublicBaseUrl;
        Slack = ChatPreview.FromSlack(ChatPreview.SlackMessage(reply), origin);
        Teams = ChatPreview.FromTeams(ChatPreview.TeamsCard(reply), origin);
    }
}
