using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Teams;

/// <summary>Teams messages that carry install links are activities the bot posted; the Connector can update them.</summary>
internal static class TeamsLinkMessages
{
    /// <summary>Remembers the reply's links; a failure costs only the later update, so it is logged, not thrown.</summary>
    public static async Task RememberAsync(IServiceProvider services, ChatReply reply, string serviceUrl, string conversationId, string? activityId, CancellationToken cancellationToken)
    {
        if (reply.LinkIds.Count == 0 || activityId is not { Length: > 0 })
            return;
        try
        {
            await services.GetRequiredService<ILinkMessages>().RememberAsync(reply,
                new LinkMessage(TeamsBot.Platform, ServiceUrl: serviceUrl, ConversationId: conversationId, ActivityId: activityId), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            TeamsLog.LinkMessageNotRemembered(services.GetRequiredService<ILogger<TeamsBackgroundWork>>(), e);
        }
    }

    /// <summary>The updated activity: the same id, a card with the notice and no button.</summary>
    public static JsonObject Notice(string conversationId, string activityId, DeadLinkNotice notice)
    {
        var message = TeamsBot.Message(conversationId, ChatReply.Message($"{notice.Headline} Send \"{notice.Command}\" for a new one."));
        message["id"] = activityId;
        return message;
    }
}

/// <summary>Replaces a dead link's card by updating its activity: one attempt, the token only to trusted service URLs.</summary>
internal sealed class TeamsLinkMessageUpdater(BotConnectorClient connector, ServiceUrlTrust trust) : ILinkMessageUpdater
{
    public string Platform => TeamsBot.Platform;

    public async Task<bool> MarkDeadAsync(LinkMessage where, DeadLinkNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(where);
        ArgumentNullException.ThrowIfNull(notice);
        if (where is not { ServiceUrl.Length: > 0, ConversationId.Length: > 0, ActivityId.Length: > 0 }
            || !await trust.IsTrustedAsync(where.ServiceUrl, cancellationToken))
            return false;
        return await connector.UpdateOnceAsync(where.ServiceUrl, where.ConversationId, where.ActivityId,
            TeamsLinkMessages.Notice(where.ConversationId, where.ActivityId, notice), cancellationToken);
    }
}
