using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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

    /// <summary>Activities are a few kilobytes; the same cap as Slack's endpoints.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    internal static async Task<Results<Ok, Ok<InvokeResponse>, BadRequest, UnauthorizedHttpResult, ForbidHttpResult, StatusCodeHttpResult>> HandleAsync(
        HttpRequest request,
        BotAuthenticator authenticator,
        IOptions<TeamsOptions> options,
        TeamsBackgroundWork work,
        [FromServices] ChatEngine engine,
        [FromServices] BotConnectorClient connector,
        ILogger<TeamsBackgroundWork> logger,
        CancellationToken cancellationToken)
    {
        // Kestrel stops at the cap too, also when it drains what a refused request did not read.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxBodyBytes;

        // Nothing of the body is read before the token is found authentic.
        var caller = await authenticator.ValidateTokenAsync(request.Headers.Authorization.ToString(), cancellationToken);
        if (caller is null)
            return TypedResults.Unauthorized();

        if (request.ContentLength > MaxBodyBytes)
        {
            TeamsLog.BodyTooLarge(logger, MaxBodyBytes);
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        Activity? activity;
        try
        {
            var body = await ReadBodyAsync(request, cancellationToken);
            if (body is null)
            {
                TeamsLog.BodyTooLarge(logger, MaxBodyBytes);
                return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }
            activity = JsonSerializer.Deserialize(body, TeamsJson.Default.Activity);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            TeamsLog.BodyTooLarge(logger, MaxBodyBytes);
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        catch (Exception e) when (e is JsonException or BadHttpRequestException)
        {
            TeamsLog.MalformedActivity(logger, "not an activity");
            return TypedResults.BadRequest();
        }
        if (activity is not { Type.Length: > 0, ServiceUrl.Length: > 0, Conversation.Id.Length: > 0, Recipient.Id.Length: > 0 })
        {
            TeamsLog.MalformedActivity(logger, "type, serviceUrl, conversation or recipient missing");
            return TypedResults.BadRequest();
        }
        if (!await authenticator.AuthorizeAsync(caller, activity, cancellationToken))
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
                work.Run("card action", async (services, ct) =>
                {
                    if (await TeamsBot.ServeAsync(services, activity, ct))
                        await TeamsBot.ReplyAsync(services, activity, (e, c) => e.HandleActionAsync(action, c), ct);
                });
                break;
            // A card's submit without the bot's own fields (another app's card, an edited payload): nothing to answer.
            case "message" when activity.Value is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } && string.IsNullOrWhiteSpace(activity.Text):
                TeamsLog.CardSubmitIgnored(logger);
                break;
            case "message":
                var command = new ChatCommand(user, TeamsMentions.CommandText(activity), activity.Conversation!.Id)
                {
                    Conversation = TeamsBot.Conversation(activity),
                };
                work.Run("message", async (services, ct) =>
                {
                    if (!await TeamsBot.ServeAsync(services, activity, ct))
                        return;
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
                if (TeamsBot.Refusal(await TeamsBot.OriginAsync(connector, settings, activity, cancellationToken), activity, logger) is { } refusal)
                    return TypedResults.Ok(new InvokeResponse(200, InvokeResponse.MessageType, JsonValue.Create(refusal.Text)));
                var reply = await engine.HandleActionAsync(executed, cancellationToken);
                // "Ask to add my device" sits on the install card: the presser is told in a short message and the card,
                // with its link, stays as it is.
                if (executed.ActionId == ChatActions.RequestDevice)
                    return TypedResults.Ok(new InvokeResponse(200, InvokeResponse.MessageType, JsonValue.Create(reply.Text)));
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
            // As BotBuilder answers an invoke no handler took: Teams shows the person that the app could not do it.
            case "invoke":
                var invoked = TeamsMarkdown.PlainLine(activity.Name ?? "", 100);
                TeamsLog.InvokeNotImplemented(logger, invoked);
                return TypedResults.StatusCode(StatusCodes.Status501NotImplemented);
            case "conversationUpdate" when activity.MembersAdded?.Any(m => string.Equals(m.Id, activity.Recipient!.Id, StringComparison.OrdinalIgnoreCase)) == true:
            case "installationUpdate" when activity.Action is "add" or "add-upgrade":
                work.Run("welcome", (services, ct) => TeamsBot.WelcomeAsync(services, activity, user, ct));
                break;
        }
        return TypedResults.Ok();
    }

    /// <summary>The whole body, or null when it is longer than <see cref="MaxBodyBytes"/> (also without a Content-Length).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(request.ContentLength is { } length ? (int)length : 16 * 1024);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
                return null;
            body.Write(buffer, 0, read);
        }
        return body.ToArray();
    }
}
