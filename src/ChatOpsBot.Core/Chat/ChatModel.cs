namespace ChatOpsBot.Core.Chat;

/// <summary>Who is asking, as the chat platform vouched for them.</summary>
/// <param name="Platform">"slack" or "teams".</param>
/// <param name="Workspace">Slack team id or Teams tenant id.</param>
/// <param name="UserId">The platform's user id (Slack U…, Teams AAD object id).</param>
/// <param name="DisplayName">A name to show on the install page.</param>
/// <param name="IsReleaseManager">Listed in the platform's ReleaseManagers setting.</param>
public sealed record ChatUser(string Platform, string? Workspace, string UserId, string DisplayName, bool IsReleaseManager);

/// <summary>
/// A command as typed, without the slash or the bot mention: "install myapp beta", "builds", "help". Slack's
/// <c>/install myapp beta</c> arrives here as "install myapp beta".
/// </summary>
public sealed record ChatCommand(ChatUser User, string Text, string? ConversationId = null)
{
    /// <summary>
    /// Where the command was typed, as much as the adapter knows (Teams adds its service URL). Without it the engine
    /// takes <see cref="ConversationId"/> on the user's platform and workspace.
    /// </summary>
    public ConversationAddress? Conversation { get; init; }
}

/// <summary>A conversation the bot can post to: a Slack channel or DM, a Teams channel, group chat or personal chat.</summary>
/// <param name="Platform">"slack" or "teams".</param>
/// <param name="Workspace">Slack team id or Teams tenant id.</param>
/// <param name="ConversationId">Slack channel id (C…, G…, D…) or Teams conversation id.</param>
/// <param name="ServiceUrl">Teams: the conversation's Connector base URL, from a validated token.</param>
/// <param name="Name">A name to show the announcer, when the platform tells it.</param>
public sealed record ConversationAddress(string Platform, string? Workspace, string ConversationId, string? ServiceUrl = null, string? Name = null);

/// <summary>
/// What the bot answers, independent of the platform. Adapters render the blocks as Block Kit or an Adaptive Card;
/// all text is plain (adapters escape it for their markup).
/// </summary>
public sealed record ChatReply(string Text, IReadOnlyList<ReplyBlock> Blocks)
{
    /// <summary>Shown only to the person who asked (Slack ephemeral; Teams replies in the conversation).</summary>
    public bool Private { get; init; } = true;

    /// <summary>
    /// The install links this reply carries. An adapter that can update the message later tells
    /// <see cref="ILinkMessages"/> where it went, so no live-looking Install button outlives its link.
    /// </summary>
    public IReadOnlyList<long> LinkIds { get; init; } = [];

    public static ChatReply Message(string text) => new(text, [new TextBlock(text)]);

    /// <summary>
    /// The answer to a person from another workspace or tenant (a Slack Connect or Teams shared channel): the bot
    /// serves its own organisation only, and says so without running the command.
    /// </summary>
    public static ChatReply OutsideOrganisation() =>
        Message("Sorry, I can only help people in the organisation that runs me. Ask a colleague there if you need a build.");
}

/// <summary>One piece of a reply.</summary>
public abstract record ReplyBlock;

/// <summary>A title line, for example the app's name.</summary>
public sealed record HeaderBlock(string Text) : ReplyBlock;

/// <summary>A paragraph. Line breaks are kept.</summary>
public sealed record TextBlock(string Text) : ReplyBlock;

/// <summary>Something the person should know before installing (an expiring profile, trust steps).</summary>
public sealed record WarningBlock(string Text) : ReplyBlock;

/// <summary>Label–value pairs such as version, build, channel and expiry.</summary>
public sealed record FactsBlock(IReadOnlyList<Fact> Facts) : ReplyBlock;

/// <summary>A label with either text or a point in time (rendered in the reader's own time zone where possible).</summary>
public sealed record Fact(string Label, string? Text = null, DateTimeOffset? Time = null);

/// <summary>A button that opens an https address (never itms-services: chat clients block it).</summary>
public sealed record LinkButtonBlock(string Label, string Url) : ReplyBlock;

/// <summary>An image, such as the QR code of the install page for desktop readers.</summary>
public sealed record ImageBlock(string Url, string AltText) : ReplyBlock;

/// <summary>Small print: the Safari fallback and the plain address.</summary>
public sealed record ContextBlock(string Text) : ReplyBlock;

/// <summary>A row describing one item (a build, an app) with an optional button that comes back to the bot.</summary>
public sealed record ListItemBlock(string Title, string Detail, ReplyAction? Action = null) : ReplyBlock;

/// <summary>A button that comes back to the bot as an action, such as "Get link" for one build.</summary>
/// <param name="Label">The button text.</param>
/// <param name="ActionId">What to do, for example <see cref="ChatActions.GetLink"/>.</param>
/// <param name="Value">The argument, for example a build id.</param>
public sealed record ReplyAction(string Label, string ActionId, string Value);

/// <summary>A button press that came back from a reply.</summary>
public sealed record ChatAction(ChatUser User, string ActionId, string Value, string? ConversationId = null)
{
    /// <summary>Where the button was pressed, as much as the adapter knows (Teams adds its service URL).</summary>
    public ConversationAddress? Conversation { get; init; }
}

/// <summary>The action ids the engine emits and understands.</summary>
public static class ChatActions
{
    /// <summary>Mint a personal link for the build whose id is the value.</summary>
    public const string GetLink = "get_link";

    /// <summary>A link button's own action: acknowledged, nothing else to do.</summary>
    public const string OpenLink = "open_link";

    /// <summary>Ask the release managers to add the presser's devices to the profile of the build whose id is the value.</summary>
    public const string RequestDevice = "request_device";

    /// <summary>Register the devices the profile of the build whose id is the value lacks in App Store Connect (release managers).</summary>
    public const string RegisterWithApple = "register_asc";
}
