using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>
/// <c>/install …</c> and <c>/builds …</c>: answered inline when the engine is quick, otherwise acknowledged at once
/// and finished through <c>response_url</c>, so Slack's three seconds are never missed.
/// </summary>
internal static class SlackCommands
{
    public const string NotAllowed = "ChatOpsBot is not available in this workspace.";
    public const string Working = "Working on it…";
    public const string Failed = "Sorry, something went wrong. Please try again in a moment.";

    internal static async Task<Results<Ok, JsonHttpResult<JsonObject>, BadRequest>> HandleAsync(
        HttpContext http, SlackBackgroundWork work, IOptions<SlackOptions> options, TimeProvider time, ILinkMessages linkMessages, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(SlackCommands));
        var receivedAt = time.GetUtcNow();
        var form = SlackPayloads.Form(http);
        if (form.TryGetValue("ssl_check", out var sslCheck) && sslCheck == "1")
            return TypedResults.Ok();

        var settings = options.Value;
        string? command = form.GetValueOrDefault("command"), userId = form.GetValueOrDefault("user_id"), teamId = form.GetValueOrDefault("team_id");
        if (string.IsNullOrEmpty(command) || string.IsNullOrEmpty(userId))
            return TypedResults.BadRequest();
        if (!settings.IsTeamAllowed(teamId))
        {
            SlackLog.TeamNotAllowed(logger, teamId);
            return Ephemeral(NotAllowed);
        }

        string? channelId = form.GetValueOrDefault("channel_id");
        var chatCommand = new ChatCommand(
            SlackChat.User(settings, teamId, userId, form.GetValueOrDefault("user_name")),
            SlackChat.CommandText(command, form.GetValueOrDefault("text")),
            channelId)
        {
            Conversation = SlackChat.Conversation(teamId, channelId, form.GetValueOrDefault("channel_name")),
        };
        var reply = work.Run("slash command", (services, cancellationToken) =>
            services.GetRequiredService<ChatEngine>().HandleAsync(chatCommand, cancellationToken));
        var responseUrl = SlackPayloads.WebUrl(form.GetValueOrDefault("response_url"));
        try
        {
            // A zero budget always acknowledges first, even when the engine happens to have finished already.
            if (settings.CommandBudget > TimeSpan.Zero)
            {
                var answer = await reply.WaitAsync(settings.CommandBudget, time, http.RequestAborted);
                // The inline answer is the command's own message: its response_url, unused yet, can replace it later.
                if (responseUrl is not null)
                    await SlackLinkMessages.RememberAsync(linkMessages, answer, responseUrl, receivedAt, uses: 0, logger, http.RequestAborted);
                return TypedResults.Json(SlackBlockKit.RenderResponse(answer));
            }
        }
        catch (TimeoutException)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Ephemeral(Failed);
        }

        if (responseUrl is null)
            return Ephemeral(Failed);
        SlackLog.CommandDeferred(logger, command);
        _ = work.Run("slash command response", async (services, cancellationToken) =>
        {
            ChatReply answer;
            try
            {
                answer = await reply;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                answer = ChatReply.Message(Failed);
            }
            // Replaces the "Working on it…" message the person is looking at.
            await services.GetRequiredService<SlackApiClient>().RespondAsync(responseUrl, SlackBlockKit.RenderResponse(answer, replaceOriginal: true), cancellationToken);
            await SlackLinkMessages.RememberAsync(services.GetRequiredService<ILinkMessages>(), answer, responseUrl, receivedAt, uses: 1, logger, cancellationToken);
        });
        return Ephemeral(Working);
    }

    private static JsonHttpResult<JsonObject> Ephemeral(string text) =>
        TypedResults.Json(SlackBlockKit.RenderResponse(ChatReply.Message(text)));
}
