using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>
/// Button presses. Link buttons only need the acknowledgement; buttons that come back to the bot ("Get link") are
/// acknowledged at once and answered through <c>response_url</c>, personally, beside the original message.
/// </summary>
internal static class SlackInteractions
{
    internal static Results<Ok, BadRequest> Handle(HttpContext http, SlackBackgroundWork work, IOptions<SlackOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(SlackInteractions));
        var form = SlackPayloads.Form(http);
        if (!form.TryGetValue("payload", out var json) || SlackPayloads.FromJson<SlackInteraction>(json.ToString()) is not { } payload)
        {
            SlackLog.MalformedPayload(logger, "interaction");
            return TypedResults.BadRequest();
        }
        if (payload.Type != "block_actions" || payload.User?.Id is not { Length: > 0 } userId)
            return TypedResults.Ok();

        var settings = options.Value;
        var teamId = payload.Team?.Id ?? payload.User.TeamId;
        if (!settings.IsTeamAllowed(teamId))
        {
            SlackLog.TeamNotAllowed(logger, teamId);
            return TypedResults.Ok();
        }

        // In a Slack Connect channel anyone in it can press an announcement's button, from whichever workspace.
        var personTeam = payload.User.TeamId ?? teamId;
        var outsider = !settings.IsTeamAllowed(personTeam);
        var user = SlackChat.User(settings, personTeam, userId, payload.User.Username ?? payload.User.Name);
        var responseUrl = SlackPayloads.WebUrl(payload.ResponseUrl);
        var actions = (payload.Actions ?? [])
            .Where(a => a.Url is null && a.ActionId is { Length: > 0 } id && id != ChatActions.OpenLink && a.Value is not null)
            .Select(a => new ChatAction(user, a.ActionId!, a.Value!, payload.Channel?.Id))
            .ToList();
        if (actions.Count == 0 || responseUrl is null)
            return TypedResults.Ok();
        if (outsider)
        {
            // Told once, however many buttons the press carried; nothing runs for them.
            SlackLog.PersonOutsideOrganisation(logger, personTeam);
            actions = actions[..1];
        }

        http.Response.OnCompleted(() =>
        {
            foreach (var action in actions)
            {
                _ = work.Run("block action", async (services, cancellationToken) =>
                {
                    // The link goes out as a new message beside the one with the button, and this response_url can
                    // only replace that one (an announcement everyone sees), so the link's own message cannot be
                    // updated when it dies and is not remembered.
                    var reply = outsider
                        ? ChatReply.OutsideOrganisation()
                        : await services.GetRequiredService<ChatEngine>().HandleActionAsync(action, cancellationToken);
                    await services.GetRequiredService<SlackApiClient>().RespondAsync(responseUrl, SlackBlockKit.RenderResponse(reply, replaceOriginal: false), cancellationToken);
                });
            }
            return Task.CompletedTask;
        });
        return TypedResults.Ok();
    }
}
