using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>
/// The Events API: URL verification, mentions and direct messages. Acknowledged at once, handled after the answer,
/// and each <c>event_id</c> only once however often, and to whichever replica, Slack retries it.
/// </summary>
internal static class SlackEvents
{
    public const string RetryNumHeader = "X-Slack-Retry-Num";

    internal static async Task<Results<Ok, JsonHttpResult<JsonObject>, BadRequest>> HandleAsync(
        HttpContext http, SlackBackgroundWork work, ISlackEventClaims claims, IOptions<SlackOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(SlackEvents));
        if (SlackPayloads.FromJson<SlackEventEnvelope>(http.Features.GetRequiredFeature<SlackRequestBody>().Bytes) is not { } envelope)
        {
            SlackLog.MalformedPayload(logger, "event");
            return TypedResults.BadRequest();
        }
        if (envelope.Type == "url_verification")
            return TypedResults.Json(new JsonObject { ["challenge"] = envelope.Challenge ?? "" });
        if (envelope.Type != "event_callback" || envelope.Event is not { } slackEvent)
            return TypedResults.Ok();

        var settings = options.Value;
        if (!settings.IsTeamAllowed(envelope.TeamId))
        {
            SlackLog.TeamNotAllowed(logger, envelope.TeamId);
            return TypedResults.Ok();
        }
        var directMessage = slackEvent is { Type: "message", ChannelType: "im" };
        var botUserId = envelope.Authorizations?.FirstOrDefault(a => a.IsBot)?.UserId;
        if (!(directMessage || slackEvent.Type == "app_mention") || !IsFromAPerson(slackEvent, botUserId)
            || slackEvent.User is not { Length: > 0 } userId || slackEvent.Channel is not { Length: > 0 } channel)
            return TypedResults.Ok();
        // Claimed before the answer: a claim that fails (the database unreachable) answers 500, and Slack retries.
        if (envelope.EventId is { Length: > 0 } eventId && !await claims.TryClaimAsync(SlackEventClaims.Event(eventId), http.RequestAborted))
        {
            string? retry = http.Request.Headers[RetryNumHeader];
            SlackLog.DuplicateEvent(logger, eventId, retry);
            return TypedResults.Ok();
        }
        // One message is one answer, whatever number of events Slack delivers it in.
        if (slackEvent.Ts is { Length: > 0 } ts && !await claims.TryClaimAsync(SlackEventClaims.Message(channel, ts), http.RequestAborted))
        {
            SlackLog.DuplicateMessage(logger, channel, ts, envelope.EventId);
            return TypedResults.Ok();
        }

        // In a Slack Connect conversation the person may belong to another workspace than the app's.
        var personTeam = slackEvent.UserTeam ?? slackEvent.Team ?? envelope.TeamId;
        var outsider = !settings.IsTeamAllowed(personTeam);
        if (outsider)
            SlackLog.PersonOutsideOrganisation(logger, personTeam);
        var command = new ChatCommand(
            SlackChat.User(settings, personTeam, userId, userName: null),
            directMessage ? SlackChat.DirectMessageText(slackEvent.Text) : SlackChat.MentionText(slackEvent.Text, botUserId),
            channel)
        {
            Conversation = SlackChat.Conversation(envelope.TeamId, channel, channelName: null),
        };
        http.Response.OnCompleted(() =>
        {
            _ = work.Run(directMessage ? "direct message" : "mention", async (services, cancellationToken) =>
            {
                var reply = outsider
                    ? ChatReply.OutsideOrganisation()
                    : await services.GetRequiredService<ChatEngine>().HandleAsync(command, cancellationToken);
                var slack = services.GetRequiredService<SlackApiClient>();
                var message = SlackBlockKit.Render(reply);
                if (directMessage || !reply.Private)
                    await slack.PostMessageAsync(channel, message, slackEvent.ThreadTs, cancellationToken);
                else
                    await slack.PostEphemeralAsync(channel, userId, message, slackEvent.ThreadTs, cancellationToken);
            });
            return Task.CompletedTask;
        });
        return TypedResults.Ok();
    }

    /// <summary>
    /// A new message a person wrote: also one with a file attached (<c>file_share</c>) or a thread reply sent to the
    /// conversation too (<c>thread_broadcast</c>), as Slack's own SDKs count them. Never a bot's message (this bot's
    /// echoes included), an edit, a deletion, a join or any other subtype: no loops, no second answers.
    /// </summary>
    private static bool IsFromAPerson(SlackEvent slackEvent, string? botUserId) =>
        slackEvent.BotId is null
        && (slackEvent.Subtype is null or "file_share" or "thread_broadcast")
        && (botUserId is null || slackEvent.User != botUserId);
}
