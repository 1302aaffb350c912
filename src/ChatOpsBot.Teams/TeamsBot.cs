using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
        activity.Value is { ValueKind: JsonValueKind.Object } value ? Action(user, value, activity.Conversation?.Id) : null;

    /// <summary>Action.Execute arrives as invoke <c>adaptiveCard/action</c> with <c>value.action{verb, data}</c>.</summary>
    public static ChatAction? ExecutedAction(ChatUser user, Activity activity)
    {
        if (activity.Value is not { ValueKind: JsonValueKind.Object } value
            || !value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object)
            return null;
        var data = action.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? Action(user, d, activity.Conversation?.Id) : null;
        var verb = action.TryGetProperty("verb", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return data is null ? null : data with { ActionId = verb ?? data.ActionId };
    }

    private static ChatAction? Action(ChatUser user, JsonElement data, string? conversationId) =>
        data.TryGetProperty("action", out var id) && id.ValueKind == JsonValueKind.String
        && data.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String
            ? new ChatAction(user, id.GetString()!, value.GetString()!, conversationId)
            : null;

    public static async Task ReplyAsync(IServiceProvider services, Activity activity, Func<ChatEngine, CancellationToken, Task<ChatReply>> ask, CancellationToken cancellationToken)
    {
        var reply = await ask(services.GetRequiredService<ChatEngine>(), cancellationToken);
        var message = Message(activity, reply);
        var connector = services.GetRequiredService<BotConnectorClient>();
        if (activity.Id is { Length: > 0 } replyToId)
        {
            message["replyToId"] = replyToId;
            await connector.ReplyAsync(activity.ServiceUrl!, activity.Conversation!.Id!, replyToId, message, cancellationToken);
        }
        else
        {
            await connector.SendAsync(activity.ServiceUrl!, activity.Conversation!.Id!, message, cancellationToken);
        }
    }

    /// <summary>Remembers where the bot was added and greets with help the first time.</summary>
    public static async Task WelcomeAsync(IServiceProvider services, Activity activity, ChatUser user, CancellationToken cancellationToken)
    {
        var reference = new TeamsConversationReference(
            activity.ServiceUrl!, activity.Conversation!.Id!, activity.TenantId!, activity.Recipient!.Id!,
            activity.Conversation.ConversationType, activity.Conversation.Name);
        if (!await services.GetRequiredService<ITeamsConversationStore>().TryAddAsync(reference, cancellationToken))
            return;
        var logger = services.GetRequiredService<ILogger<TeamsBackgroundWork>>();
        TeamsLog.ConversationRemembered(logger, reference.ConversationType, reference.TenantId);
        var help = await services.GetRequiredService<ChatEngine>().HandleAsync(new ChatCommand(user, "help", reference.ConversationId), cancellationToken);
        await services.GetRequiredService<BotConnectorClient>()
            .SendAsync(reference.ServiceUrl, reference.ConversationId, Message(activity, help), cancellationToken);
    }

    private static JsonObject Message(Activity activity, ChatReply reply) => new()
    {
        ["type"] = "message",
        ["from"] = Account(activity.Recipient),
        ["recipient"] = Account(activity.From),
        ["conversation"] = new JsonObject { ["id"] = activity.Conversation!.Id },
        ["summary"] = reply.Text.Length > 200 ? reply.Text[..200] : reply.Text,
        ["attachments"] = new JsonArray(AdaptiveCards.Attachment(AdaptiveCards.Render(reply))),
    };

    private static JsonObject? Account(ChannelAccount? account) =>
        account is null ? null : new JsonObject { ["id"] = account.Id, ["name"] = account.Name };
}
