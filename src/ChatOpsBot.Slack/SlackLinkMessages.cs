using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Slack;

/// <summary>
/// Slack messages that carry install links are answers through a <c>response_url</c>, which Slack honours for 30
/// minutes and 5 uses: within those, the message can be replaced once its link dies.
/// </summary>
internal static class SlackLinkMessages
{
    public static readonly TimeSpan ResponseUrlLifetime = TimeSpan.FromMinutes(30);
    public const int ResponseUrlMaxUses = 5;

    /// <summary>Remembers the answer's links; a failure costs only the later update, so it is logged, not thrown.</summary>
    /// <param name="messages">The host's memory of link messages.</param>
    /// <param name="reply">The answer as delivered.</param>
    /// <param name="responseUrl">The response URL that carried it (inline answers: the command's own).</param>
    /// <param name="issuedAt">When Slack sent the command or action, which starts the response URL's 30 minutes.</param>
    /// <param name="uses">The response URL's uses spent so far, the answer's own included.</param>
    /// <param name="logger">Where a failure is told.</param>
    /// <param name="cancellationToken">Cancels remembering.</param>
    public static async Task RememberAsync(ILinkMessages messages, ChatReply reply, Uri responseUrl, DateTimeOffset issuedAt, int uses, ILogger logger, CancellationToken cancellationToken)
    {
        if (reply.LinkIds.Count == 0)
            return;
        try
        {
            await messages.RememberAsync(reply, new LinkMessage(SlackChat.Platform, responseUrl.ToString(), issuedAt + ResponseUrlLifetime, uses), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SlackLog.LinkMessageNotRemembered(logger, e);
        }
    }

    /// <summary>The replacement: the notice and how to get a new link, without any button.</summary>
    public static JsonObject Notice(DeadLinkNotice notice)
    {
        // Plain text like every reply (the command names an app and a channel): the renderer escapes it.
        var text = $"{notice.Headline} Run \"/{notice.Command}\" for a new one.";
        return SlackBlockKit.RenderResponse(ChatReply.Message(text), replaceOriginal: true);
    }
}

/// <summary>Replaces a dead link's message through its response URL, while Slack still honours it: one attempt.</summary>
internal sealed class SlackLinkMessageUpdater(SlackApiClient slack, TimeProvider time) : ILinkMessageUpdater
{
    public string Platform => SlackChat.Platform;

    public async Task<bool> MarkDeadAsync(LinkMessage where, DeadLinkNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(where);
        ArgumentNullException.ThrowIfNull(notice);
        if (SlackPayloads.WebUrl(where.ResponseUrl) is not { } responseUrl
            || where.ResponseUrlExpiresAt is not { } expiresAt || time.GetUtcNow() >= expiresAt
            || where.ResponseUrlUses >= SlackLinkMessages.ResponseUrlMaxUses)
            return false;
        return await slack.RespondOnceAsync(responseUrl, SlackLinkMessages.Notice(notice), cancellationToken);
    }
}
