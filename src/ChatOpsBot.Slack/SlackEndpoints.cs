using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Slack;

public static class SlackEndpoints
{
    /// <summary>Maps <c>/slack/commands</c>, <c>/slack/interactions</c> and <c>/slack/events</c> when Slack is enabled; nothing otherwise.</summary>
    public static IEndpointRouteBuilder MapSlack(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<SlackEnabled>() is null)
            return endpoints;

        var slack = endpoints.MapGroup("/slack")
            .AddEndpointFilter<SlackSignatureFilter>()
            .ExcludeFromDescription();
        slack.MapPost("/commands", SlackCommands.HandleAsync);
        slack.MapPost("/interactions", SlackInteractions.Handle);
        slack.MapPost("/events", SlackEvents.HandleAsync);
        return endpoints;
    }
}
