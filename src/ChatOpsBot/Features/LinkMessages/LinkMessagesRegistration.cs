using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Features.LinkMessages;

internal static class LinkMessagesRegistration
{
    /// <summary>
    /// Remembers the chat messages that carry install links and updates them once their links die. Replaces the
    /// adapters' remember-nothing default whichever is registered first.
    /// </summary>
    public static WebApplicationBuilder AddLinkMessages(this WebApplicationBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Scoped<ILinkMessages, DatabaseLinkMessages>());
        builder.Services.AddScoped<DeadLinkMessages>();
        builder.Services.AddScoped<LinkMessageUpdateJob>();
        return builder;
    }
}
