using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

public static class TeamsEndpoints
{
    /// <summary>Maps <c>POST /api/messages</c> when Teams is enabled; nothing otherwise.</summary>
    public static IEndpointRouteBuilder MapTeams(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<TeamsEnabled>() is null)
            return endpoints;
        endpoints.MapPost("/api/messages", HandleAsync).ExcludeFromDescription();
        return endpoints;
    }

    internal static async Task<Results<Ok, Ok<InvokeResponse>, BadRequest, UnauthorizedHttpResult, ForbidHttpResult>> HandleAsync(
        HttpRequest request,
        BotAuthenticator authenticator,
        IOptions<TeamsOptions> options,
        TeamsBackgroundWork work,
        [FromServices] ChatEngine engine,
        ILogger<TeamsBackgroundWork> logger,
        CancellationToken cancellationToken)
    {
        // Nothing is read from an unauthenticated caller beyond what the checks need.
        if (!request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            TeamsLog.RequestRejected(logger, "no bearer token");
            return TypedResults.Unauthorized();
        }
        Activity? activity;
        try
        {
            activity = await request.ReadFromJsonAsync(TeamsJson.Default.Activity, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            TeamsLog.MalformedActivity(logger, "not an activity");
            return TypedResults.BadRequest();
        }
        if (activity is not { Type.Length: > 0, ServiceUrl.Length: > 0, Conversation.Id.Length: > 0, Recipient.Id.Length: > 0 })
        {
            TeamsLog.MalformedActivity(logger, "type, serviceUrl, conversation or recipient missing");
            return TypedResults.BadRequest();
        }
        if (await authenticator.AuthenticateAsync(request.Headers.Authorization.ToString(), activity, cancellationToken) is not null)
            return TypedResults.Unauthorized();

        var settings = options.Value;
        if (!settings.IsTenantAllowed(activity.TenantId))
        {
            TeamsLog.TenantNotAllowed(logger, activity.TenantId);
            return TypedResults.Forbid();
        }

        var user = TeamsBot.User(settings, activity);
        switch (activity.Type)
        {
            case "message" when TeamsBot.SubmittedAction(user, activity) is { } action:
                work.Run("card action", (services, ct) => TeamsBot.ReplyAsync(services, activity, (e, c) => e.HandleActionAsync(action, c), ct));
                break;
            case "message":
                var command = new ChatCommand(user, TeamsMentions.CommandText(activity), activity.Conversation!.Id)
                {
                    Conversation = TeamsBot.Conversation(activity),
                };
                work.Run("message", async (services, ct) =>
                {
                    // Remembered before answering, so a "subscribe" typed here can be announced to after a restart.
                    await TeamsBot.RememberAsync(services, activity, ct);
                    await TeamsBot.ReplyAsync(services, activity, (e, c) => e.HandleAsync(command, c), ct);
                });
                break;
            case "invoke" when activity.Name == "adaptiveCard/action":
                // The invoke's HTTP response is the answer, within Teams' five seconds: the refreshed card.
                if (TeamsBot.ExecutedAction(user, activity) is not { } executed)
                    return TypedResults.Ok(new InvokeResponse(400, InvokeResponse.ErrorType,
                        new JsonObject { ["code"] = "BadRequest", ["message"] = "The button sent no action." }));
                var reply = await engine.HandleActionAsync(executed, cancellationToken);
                if (TeamsBot.IsPersonal(activity))
                {
                    // The refreshed card replaces the one pressed, so that activity now carries the link.
                    await TeamsLinkMessages.RememberAsync(request.HttpContext.RequestServices, reply, activity.ServiceUrl!, activity.Conversation!.Id!, activity.ReplyToId, cancellationToken);
                    return TypedResults.Ok(new InvokeResponse(200, InvokeResponse.CardType, AdaptiveCards.Render(reply)));
                }
                // In a channel or group chat the card is everyone's: it stays as it is, the presser gets a short
                // message, and a personal link goes to their private chat with the bot.
                if (!TeamsBot.CarriesPersonalLink(reply))
                    return TypedResults.Ok(new InvokeResponse(200, InvokeResponse.MessageType, JsonValue.Create(reply.Text)));
                work.Run("personal link", (services, ct) => TeamsBot.SendLinkPersonallyAsync(services, activity, reply, ct));
                return TypedResults.Ok(new InvokeResponse(200, InvokeResponse.MessageType, JsonValue.Create(TeamsBot.SendingPrivately)));
            case "conversationUpdate" when activity.MembersAdded?.Any(m => string.Equals(m.Id, activity.Recipient!.Id, StringComparison.OrdinalIgnoreCase)) == true:
            case "installationUpdate" when activity.Action is "add" or "add-upgrade":
                work.Run("welcome", (services, ct) => TeamsBot.WelcomeAsync(services, activity, user, ct));
                break;
        }
        return TypedResults.Ok();
    }
}
