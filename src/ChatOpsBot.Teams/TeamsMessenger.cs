using System.Net;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>
/// Announcements to Teams conversations: one proactive activity per call, with the Adaptive Card of the message, to
/// the conversation's stored service URL. The outbox retries durably, so nothing is retried here. Direct messages
/// create (or find) the 1:1 chat with the person first.
/// </summary>
internal sealed class TeamsMessenger(BotConnectorClient connector, ServiceUrlTrust trust, IOptions<TeamsOptions> options) : IConversationMessenger, IDirectMessenger
{
    public string Platform => TeamsBot.Platform;

    public IReadOnlyList<string> ReleaseManagers => options.Value.ReleaseManagers;

    public async Task<DeliveryResult> SendAsync(DirectRecipient recipient, ChatReply message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (recipient.ServiceUrl is not { Length: > 0 } serviceUrl || recipient.Workspace is not { Length: > 0 } tenantId)
            return new DeliveryResult.Failed("no Teams service URL and tenant are known to reach the person through");
        if (!await trust.IsTrustedAsync(serviceUrl, cancellationToken))
            return new DeliveryResult.Failed("the service URL never arrived in a validated Teams token");
        // Teams takes the person's AAD object id as the member, and answers with the existing 1:1 chat if there is one.
        var parameters = new JsonObject
        {
            ["bot"] = new JsonObject { ["id"] = "28:" + options.Value.MicrosoftAppId },
            ["members"] = new JsonArray(new JsonObject { ["id"] = recipient.UserId }),
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId } },
            ["tenantId"] = tenantId,
            ["isGroup"] = false,
        };
        if (await connector.CreateConversationAsync(serviceUrl, parameters, cancellationToken) is not { } conversationId)
            return new DeliveryResult.Failed("the 1:1 chat with the person could not be opened");
        return await PostAsync(new ConversationAddress(Platform, tenantId, conversationId, serviceUrl), message, cancellationToken);
    }

    public async Task<DeliveryResult> PostAsync(ConversationAddress conversation, ChatReply message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(message);
        if (conversation.ServiceUrl is not { Length: > 0 } serviceUrl)
            return new DeliveryResult.Failed("the conversation has no Teams service URL; say \"subscribe\" in it again");
        if (!await trust.IsTrustedAsync(serviceUrl, cancellationToken))
            return new DeliveryResult.Failed("the conversation's service URL never arrived in a validated Teams token");

        var attempt = await connector.SendOnceAsync(serviceUrl, conversation.ConversationId, TeamsBot.Message(conversation.ConversationId, message), cancellationToken);
        var status = attempt.Status is { } s ? (int)s : 0;
        var described = attempt.Status is { } code
            ? $"{status} {code}{(attempt.CorrelationId is { } id ? $" (correlation id {id})" : "")}{(attempt.Error.Length > 0 ? ": " + attempt.Error : "")}"
            : attempt.Error;
        return attempt.Status switch
        {
            null => new DeliveryResult.Retry(null, described),
            _ when status is >= 200 and < 300 => new DeliveryResult.Delivered(attempt.Id is { Length: > 0 } activityId ? activityId : null),
            // Throttled, the conversation busy (412) or the Connector's own trouble.
            HttpStatusCode.TooManyRequests or HttpStatusCode.PreconditionFailed => new DeliveryResult.Retry(attempt.RetryAfter, described),
            _ when status >= 500 => new DeliveryResult.Retry(attempt.RetryAfter, described),
            // The bot was removed from the team or chat, or the conversation is gone.
            HttpStatusCode.Forbidden or HttpStatusCode.NotFound => new DeliveryResult.Failed(described),
            _ => new DeliveryResult.Failed(described),
        };
    }
}
