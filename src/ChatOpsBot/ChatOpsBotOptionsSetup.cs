using System.Globalization;
using Microsoft.Extensions.Options;

namespace ChatOpsBot;

internal static class ChatOpsBotOptionsSetup
{
    public static WebApplicationBuilder AddChatOpsBotOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChatOpsBotOptions>()
            .BindConfiguration(ChatOpsBotOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ChatOpsBotOptions>, ChatOpsBotOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<PublicBaseUrlWarning>();
        return builder;
    }
}

internal sealed partial class PublicBaseUrlWarning(IOptions<ChatOpsBotOptions> options, ILogger<PublicBaseUrlWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.PublicBaseUrl.StartsWith("http:", StringComparison.OrdinalIgnoreCase))
            LogPlainHttp(options.Value.PublicBaseUrl);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "ChatOpsBot:PublicBaseUrl is {PublicBaseUrl}: plain http on a loopback host is fine for trying things out, but iOS installs only over https with a publicly trusted certificate")]
    private partial void LogPlainHttp(string publicBaseUrl);
}

/// <summary>Start-up fails with a message that names the configuration key at fault.</summary>
internal sealed class ChatOpsBotOptionsValidator : IValidateOptions<ChatOpsBotOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatOpsBotOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var path = string.Create(CultureInfo.InvariantCulture, $"{ChatOpsBotOptions.Section}:ApiKeys:{i}");
            var hasKey = !string.IsNullOrEmpty(key.Key);
            var hasHash = !string.IsNullOrEmpty(key.KeyHash);
            if (hasKey == hasHash)
                failures.Add($"{path}: set exactly one of Key or KeyHash.");
            else if (hasKey && key.Key!.Length < 16)
                failures.Add($"{path}:Key must be at least 16 characters.");
            else if (hasHash && (key.KeyHash!.Length != 64 || !key.KeyHash.All(char.IsAsciiHexDigitLower)))
                failures.Add($"{path}:KeyHash must be the lowercase hex SHA-256 of the key (64 characters).");
            if (key.Role is null)
                failures.Add($"{path}:Role is required: Uploader, ReleaseManager or Admin.");
        }
        if (!PublicBaseUrl.TryParse(options.PublicBaseUrl, out _, out var problem))
            failures.Add($"{ChatOpsBotOptions.Section}:PublicBaseUrl {problem}");
        if (options.Links.Lifetime <= TimeSpan.Zero)
            failures.Add($"{ChatOpsBotOptions.Section}:Links:Lifetime must be positive.");
        if (options.Links.DownloadGrace < TimeSpan.Zero)
            failures.Add($"{ChatOpsBotOptions.Section}:Links:DownloadGrace must not be negative.");
        if (options.Install.Window <= TimeSpan.Zero)
            failures.Add($"{ChatOpsBotOptions.Section}:Install:Window must be positive.");
        failures.AddRange(TrustedProxies.Validate(options.ForwardedHeaders));
        failures.AddRange(Data.PostgresDataSource.Validate(options.Database));
        failures.AddRange(Features.Builds.ArtifactOptions.Validate(options.Artifacts));
        failures.AddRange(DeliveryOptions.Validate(options.Delivery, options.Artifacts));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
