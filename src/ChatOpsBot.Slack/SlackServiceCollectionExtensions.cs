using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>Present in the container only when Slack is enabled.</summary>
internal sealed class SlackEnabled;

public static class SlackServiceCollectionExtensions
{
    public static WebApplicationBuilder AddSlack(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSlack(builder.Configuration);
        return builder;
    }

    /// <summary>Slack is enabled by <c>Slack:SigningSecret</c>; without it nothing is registered.</summary>
    public static IServiceCollection AddSlack(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrEmpty(configuration[$"{SlackOptions.Section}:{nameof(SlackOptions.SigningSecret)}"]))
            return services;

        services.AddSingleton<SlackEnabled>();
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        // A host with a database shared by its replicas registers its own.
        services.TryAddSingleton<ISlackEventClaims, InMemorySlackEventClaims>();
        services.AddSingleton<SlackBackgroundWork>();
        services.AddHostedService(provider => provider.GetRequiredService<SlackBackgroundWork>());
        services.AddHttpClient<SlackApiClient>()
            // The bot token must never follow a redirect to another host.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHttpClient<SlackDoctorCheck>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddTransient<Core.Doctor.IDoctorCheck>(provider => provider.GetRequiredService<SlackDoctorCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IConversationMessenger, SlackMessenger>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IDirectMessenger, SlackMessenger>());
        // A host that keeps link messages registers its own; without one, nothing is remembered.
        services.TryAddSingleton<ILinkMessages, NoLinkMessages>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<ILinkMessageUpdater, SlackLinkMessageUpdater>());
        return services;
    }
}
