using System.Text.Json;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>
/// Announcements to Slack channels: one <c>chat.postMessage</c> attempt per call, because the outbox retries durably
/// and a second layer of in-process retries would only hold the delivery's claim longer. Direct messages go the same
/// way, to the user id, which Slack takes as the app's own DM with that person.
/// </summary>
internal sealed class SlackMessenger(SlackApiClient slack, IOptions<SlackOptions> options) : IConversationMessenger, IDirectMessenger
{
    /// <summary>Slack's own trouble, worth another try; any other error code means the post cannot succeed as it is.</summary>
    private static readonly HashSet<string> TransientErrors = new(StringComparer.Ordinal)
    {
        "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "invalid_response",
    };

    public string Platform => SlackChat.Platform;

    public IReadOnlyList<string> ReleaseManagers => options.Value.ReleaseManagers;

    public Task<DeliveryResult> SendAsync(DirectRecipient recipient, ChatReply message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return PostAsync(new ConversationAddress(Platform, recipient.Workspace, recipient.UserId), message, cancellationToken);
    }

    public async Task<DeliveryResult> PostAsync(ConversationAddress conversation, ChatReply message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(message);
        var body = SlackBlockKit.Render(message);
        body["channel"] = conversation.ConversationId;
        // The announcement carries its own icon and facts; previews of the links in its text would only add noise.
        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        return await slack.CallOnceAsync("chat.postMessage", body, cancellationToken) switch
        {
            SlackAttempt.Succeeded ok => new DeliveryResult.Delivered(
                ok.Answer.TryGetProperty("ts", out var ts) && ts.ValueKind == JsonValueKind.String ? ts.GetString() : null),
            SlackAttempt.Unavailable unavailable => new DeliveryResult.Retry(unavailable.RetryAfter, unavailable.Error),
            SlackAttempt.Refused { Error: var error } when TransientErrors.Contains(error) => new DeliveryResult.Retry(null, error),
            // channel_not_found, not_in_channel, is_archived, account_inactive, invalid_auth, token_revoked, missing_scope…
            SlackAttempt.Refused refused => new DeliveryResult.Failed(refused.Error),
            _ => new DeliveryResult.Retry(null, "unknown outcome"),
        };
    }
}
