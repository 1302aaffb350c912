using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>What the bot does with an authenticated activity: translate, ask the engine, render, reply.</summary>
internal static class TeamsBot
{
    public const string Platform = "teams";

    public static ChatUser User(TeamsOptions options, Activity activity)
    {
        var userId = activity.From?.AadObjectId is { Length: > 0 } aad ? aad : activity.From?.Id ?? "";
        var name = string.IsNullOrWhiteSpace(activity.From?.Name) ? userId : activity.From.Name;
        return new ChatUser(Platform, activity.TenantId, userId, name, options.IsReleaseManager(userId));
    }

    /// <summary>A card's Action.Submit arrives as a message whose <c>value</c> is the button's data.</summary>
    public static ChatAction? SubmittedAction(ChatUser user, Activity activity) =>
        activity.Value is { ValueKind: JsonValueKind.Object } value ? Action(user, value, activity) : null;

    /// <summary>Action.Execute arrives as invoke <c>adaptiveCard/action</c> with <c>value.action{verb, data}</c>.</summary>
    public static ChatAction? ExecutedAction(ChatUser user, Activity activity)
    {
        if (activity.Value is not { ValueKind: JsonValueKind.Object } value
            || !value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object)
            return null;
        var data = action.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? Action(user, d, activity) : null;
        var verb = action.TryGetProperty("verb", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return data is null ? null : data with { ActionId = verb ?? data.ActionId };
    }

    private static ChatAction? Action(ChatUser user, JsonElement data, Activity activity) =>
        data.TryGetProperty("action", out var id) && id.ValueKind == JsonValueKind.String
        && data.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String
            ? new ChatAction(user, id.GetString()!, value.GetString()!, activity.Conversation?.Id) { Conversation = Conversation(activity) }
            : null;

    /// <summary>
    /// Where a message was typed, for subscriptions: the conversation without the thread a channel message may name
    /// (";messageid=…"), so announcements start a new post in the channel.
    /// </summary>
    public static ConversationAddress Conversation(Activity activity) =>
        new(Platform, activity.TenantId, BaseConversationId(activity.Conversation!.Id!), activity.ServiceUrl, activity.Conversation.Name);

    public static string BaseConversationId(string conversationId)
    {
        var thread = conversationId.IndexOf(";messageid=", StringComparison.OrdinalIgnoreCase);
        return thread < 0 ? conversationId : conversationId[..thread];
    }

    /// <summary>A 1:1 chat with the bot; channels and group chats are seen by everyone in them.</summary>
    public static bool IsPersonal(Activity activity) =>
        activity.Conversation?.ConversationType is { } type
            ? string.Equals(type, "personal", StringComparison.OrdinalIgnoreCase)
            : activity.Conversation?.IsGroup != true;

    /// <summary>A reply carrying someone's personal install link, which must never be shown to a whole channel.</summary>
    public static bool CarriesPersonalLink(ChatReply reply) => reply.Blocks.Any(b => b is LinkButtonBlock);

    public const string SentPrivately = "I've sent your install link in a private chat with me.";
    public const string SendingPrivately = "I'm sending your install link in a private chat with me.";
    public const string CouldNotSendPrivately =
        "I couldn't open a private chat with you, and install links are personal, so I won't post yours here. Open a chat with me and ask there.";

    public const string CouldNotCheckOrganisation =
        "I couldn't check which organisation you belong to just now, so I didn't do anything. Please try again in a moment.";

    /// <summary>
    /// Where the person who sent an activity comes from. The conversation's tenant (already checked) is the host's: in
    /// a shared channel, people of other tenants write too, so outside a 1:1 chat the person's own tenant is read from
    /// their member record in the conversation, and a person whose tenant cannot be read is not served.
    /// </summary>
    public static async Task<PersonOrigin> OriginAsync(BotConnectorClient connector, TeamsOptions options, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(activity);
        if (activity.From?.TenantId is { Length: > 0 } named && !options.IsTenantAllowed(named))
            return new PersonOrigin.Outsider(named);
        // A 1:1 chat with the bot lives in the person's own tenant.
        if (IsPersonal(activity))
            return new PersonOrigin.Colleague();
        if (activity.From?.Id is not { Length: > 0 } memberId)
            return new PersonOrigin.Unknown();
        var tenant = await connector.GetMemberTenantAsync(activity.ServiceUrl!, BaseConversationId(activity.Conversation!.Id!), memberId, cancellationToken);
        return tenant is null ? new PersonOrigin.Unknown()
            : options.IsTenantAllowed(tenant) ? new PersonOrigin.Colleague()
            : new PersonOrigin.Outsider(tenant);
    }

    /// <summary>What a person the bot does not serve is told instead of an answer (logged); null for a colleague.</summary>
    public static ChatReply? Refusal(PersonOrigin origin, Activity activity, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(activity);
        switch (origin)
        {
            case PersonOrigin.Outsider outsider:
                TeamsLog.PersonNotAllowed(logger, outsider.TenantId);
                return ChatReply.OutsideOrganisation();
            case PersonOrigin.Unknown:
                TeamsLog.PersonNotVerified(logger, activity.Conversation?.ConversationType);
                return ChatReply.Message(CouldNotCheckOrganisation);
            default:
                return null;
        }
    }

    /// <summary>True when the activity's sender is served here; otherwise they are told why not, and false.</summary>
    public static async Task<bool> ServeAsync(IServiceProvider services, Activity activity, CancellationToken cancellationToken)
    {
        var origin = await OriginAsync(services.GetRequiredService<BotConnectorClient>(),
            services.GetRequiredService<IOptions<TeamsOptions>>().Value, activity, cancellationToken);
        if (Refusal(origin, activity, services.GetRequiredService<ILogger<TeamsBackgroundWork>>()) is not { } refusal)
            return true;
        await ReplyAsync(services, activity, (_, _) => Task.FromResult(refusal), cancellationToken);
        return false;
    }

    public static async Task ReplyAsync(IServiceProvider services, Activity activity, Func<ChatEngine, CancellationToken, Task<ChatReply>> ask, CancellationToken cancellationToken)
    {
        var reply = await ask(services.GetRequiredService<ChatEngine>(), cancellationToken);
        if (!IsPersonal(activity) && CarriesPersonalLink(reply))
        {
            var sent = await SendPersonallyAsync(services, activity, reply, cancellationToken);
            reply = ChatReply.Message(sent ? SentPrivately : CouldNotSendPrivately);
        }
        var message = Message(activity, reply);
        var connector = services.GetRequiredService<BotConnectorClient>();
        string? posted;
        if (activity.Id is { Length: > 0 } replyToId)
        {
            message["replyToId"] = replyToId;
            posted = await connector.ReplyAsync(activity.ServiceUrl!, activity.Conversation!.Id!, replyToId, message, cancellationToken);
        }
        else
        {
            posted = await connector.SendAsync(activity.ServiceUrl!, activity.Conversation!.Id!, message, cancellationToken);
        }
        await TeamsLinkMessages.RememberAsync(services, reply, activity.ServiceUrl!, activity.Conversation!.Id!, posted, cancellationToken);
    }

    /// <summary>
    /// Posts a reply in the 1:1 chat between the bot and the person who sent the activity, creating the chat if it
    /// does not exist yet (Teams answers with the existing one if it does). False when that was not possible.
    /// </summary>
    public static async Task<bool> SendPersonallyAsync(IServiceProvider services, Activity activity, ChatReply reply, CancellationToken cancellationToken)
    {
        if (activity.From?.Id is not { Length: > 0 } userId || activity.TenantId is not { Length: > 0 } tenantId)
            return false;
        var connector = services.GetRequiredService<BotConnectorClient>();
        var parameters = new JsonObject
        {
            ["bot"] = Account(activity.Recipient),
            ["members"] = new JsonArray(new JsonObject { ["id"] = userId }),
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId } },
            ["tenantId"] = tenantId,
            ["isGroup"] = false,
        };
        if (await connector.CreateConversationAsync(activity.ServiceUrl!, parameters, cancellationToken) is { } conversationId
            && await connector.SendAsync(activity.ServiceUrl!, conversationId,
                Message(conversationId, reply, from: Account(activity.Recipient), recipient: Account(activity.From)), cancellationToken) is { } posted)
        {
            await TeamsLinkMessages.RememberAsync(services, reply, activity.ServiceUrl!, conversationId, posted, cancellationToken);
            return true;
        }
        TeamsLog.PrivateChatFailed(services.GetRequiredService<ILogger<TeamsBackgroundWork>>());
        return false;
    }

    /// <summary>
    /// The answer to a card's Action.Execute outside a 1:1 chat: the link goes to the presser's private chat and the
    /// invoke answers with a short message, so the card everyone sees stays as it is.
    /// </summary>
    public static async Task SendLinkPersonallyAsync(IServiceProvider services, Activity activity, ChatReply reply, CancellationToken cancellationToken)
    {
        if (await SendPersonallyAsync(services, activity, reply, cancellationToken))
            return;
        var note = Message(activity, ChatReply.Message(CouldNotSendPrivately));
        var connector = services.GetRequiredService<BotConnectorClient>();
        if (activity.ReplyToId is { Length: > 0 } cardMessageId)
            await connector.ReplyAsync(activity.ServiceUrl!, activity.Conversation!.Id!, cardMessageId, note, cancellationToken);
        else
            await connector.SendAsync(activity.ServiceUrl!, activity.Conversation!.Id!, note, cancellationToken);
    }

    /// <summary>Remembers a conversation the bot hears from, so it can be announced to after a restart; true when it was new.</summary>
    public static Task<bool> RememberAsync(IServiceProvider services, Activity activity, CancellationToken cancellationToken) =>
        services.GetRequiredService<ITeamsConversationStore>().TryAddAsync(Reference(activity), cancellationToken);

    /// <summary>Remembers where the bot was added and greets with help the first time.</summary>
    public static async Task WelcomeAsync(IServiceProvider services, Activity activity, ChatUser user, CancellationToken cancellationToken)
    {
        var reference = Reference(activity);
        if (!await services.GetRequiredService<ITeamsConversationStore>().TryAddAsync(reference, cancellationToken))
            return;
        var logger = services.GetRequiredService<ILogger<TeamsBackgroundWork>>();
        TeamsLog.ConversationRemembered(logger, reference.ConversationType, reference.TenantId);
        var help = await services.GetRequiredService<ChatEngine>().HandleAsync(new ChatCommand(user, "help", reference.ConversationId), cancellationToken);
        await services.GetRequiredService<BotConnectorClient>()
            .SendAsync(reference.ServiceUrl, reference.ConversationId, Message(activity, help), cancellationToken);
    }

    private static TeamsConversationReference Reference(Activity activity) => new(
        activity.ServiceUrl!, BaseConversationId(activity.Conversation!.Id!), activity.TenantId!, activity.Recipient!.Id!,
        activity.Conversation.ConversationType, activity.Conversation.Name);

    private static JsonObject Message(Activity activity, ChatReply reply) =>
        Message(activity.Conversation!.Id!, reply, Account(activity.Recipient), Account(activity.From));

    /// <summary>A message activity carrying the reply as an Adaptive Card.</summary>
    public static JsonObject Message(string conversationId, ChatReply reply, JsonObject? from = null, JsonObject? recipient = null)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var message = new JsonObject { ["type"] = "message" };
        if (from is not null)
            message["from"] = from;
        if (recipient is not null)
            message["recipient"] = recipient;
        message["conversation"] = new JsonObject { ["id"] = conversationId };
        // Previews and notifications show the summary as plain text; the card's texts are escaped where it is rendered.
        message["summary"] = TeamsMarkdown.PlainLine(reply.Text, 200);
        message["attachments"] = new JsonArray(AdaptiveCards.Attachment(AdaptiveCards.Render(reply)));
        return message;
    }

    private static JsonObject? Account(ChannelAccount? account) =>
        account is null ? null : new JsonObject { ["id"] = account.Id, ["name"] = account.Name };
}

/// <summary>Whose colleague the sender of an activity is, as far as the bot can tell.</summary>
internal abstract record PersonOrigin
{
    /// <summary>Of an allowed tenant.</summary>
    public sealed record Colleague : PersonOrigin;

    /// <summary>Of another tenant, such as a guest of a shared channel from another organisation.</summary>
    public sealed record Outsider(string TenantId) : PersonOrigin;

    /// <summary>Their tenant could not be read; not served, since nothing security-relevant fails open.</summary>
    public sealed record Unknown : PersonOrigin;
}
