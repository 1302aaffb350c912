using ChatOpsBot.Core.Chat;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>Present in the container only when Teams is enabled.</summary>
internal sealed class TeamsEnabled;

public static class TeamsServiceCollectionExtensions
{
    public static WebApplicationBuilder AddTeams(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddTeams(builder.Configuration);
        return builder;
    }

    /// <summary>Teams is enabled by <c>Teams:MicrosoftAppId</c>; without it nothing is registered.</summary>
    public static IServiceCollection AddTeams(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrEmpty(configuration[$"{TeamsOptions.Section}:{nameof(TeamsOptions.MicrosoftAppId)}"]))
            return services;

        services.AddSingleton<TeamsEnabled>();
        services.AddOptions<TeamsOptions>().BindConfiguration(TeamsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TeamsOptions>, TeamsOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITeamsConversationStore, InMemoryTeamsConversationStore>();
        // A host with a database shared by its replicas registers its own.
        services.TryAddSingleton<ITrustedServiceUrlStore, InMemoryTrustedServiceUrlStore>();
        services.AddSingleton<TrustedServiceUrls>();
        services.AddSingleton<ServiceUrlTrust>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IConversationMessenger, TeamsMessenger>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IDirectMessenger, TeamsMessenger>());
        // A host that keeps link messages registers its own; without one, nothing is remembered.
        services.TryAddSingleton<ILinkMessages, NoLinkMessages>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<ILinkMessageUpdater, TeamsLinkMessageUpdater>());
        services.AddSingleton<BotSigningKeys>();
        services.AddSingleton<BotAuthenticator>();
        services.AddSingleton<BotTokenCache>();
        services.AddSingleton<TeamsBackgroundWork>();
        services.AddHostedService(provider => provider.GetRequiredService<TeamsBackgroundWork>());
        // Neither the app password nor the bot's token may follow a redirect to another host.
        services.AddHttpClient(SigningKeySource.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHttpClient<BotTokenClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddHttpClient<BotConnectorClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddTransient<TeamsDoctorCheck>();
        services.AddTransient<Core.Doctor.IDoctorCheck>(provider => provider.GetRequiredService<TeamsDoctorCheck>());
        return services;
    }
}
