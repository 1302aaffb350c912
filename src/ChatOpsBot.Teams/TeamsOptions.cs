using System.Net;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

internal sealed class TeamsOptions
{
    public const string Section = "Teams";
    public const string SingleTenant = "SingleTenant";
    public const string MultiTenant = "MultiTenant";

    /// <summary>Turns Teams on: the Azure Bot's app id, the audience of every token the Bot Connector sends.</summary>
    public string? MicrosoftAppId { get; set; }

    public string? MicrosoftAppPassword { get; set; }

    /// <summary>The bot's Entra tenant; required for SingleTenant bots.</summary>
    public string? MicrosoftAppTenantId { get; set; }

    public string MicrosoftAppType { get; set; } = SingleTenant;

    /// <summary>Empty: the app's own tenant only.</summary>
    public List<string> AllowedTenantIds { get; set; } = [];

    /// <summary>AAD object ids of the people who may revoke and announce.</summary>
    public List<string> ReleaseManagers { get; set; } = [];

    public string ToBotFromChannelOpenIdMetadataUrl { get; set; } = "https://login.botframework.com/v1/.well-known/openidconfiguration";

    /// <summary>Where Entra-issued tokens' keys are published; empty: the app tenant's v2.0 metadata.</summary>
    public string? ToBotFromEntraOpenIdMetadataUrl { get; set; }

    /// <summary>The token endpoint; empty: login.microsoftonline.com for the app's tenant (botframework.com when MultiTenant).</summary>
    public string? ToChannelFromBotLoginUrl { get; set; }

    public string ToChannelFromBotOAuthScope { get; set; } = "https://api.botframework.com/.default";

    /// <summary>First backoff step for throttled or failed Connector calls; doubled on each retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts per Connector call, the first included.</summary>
    public int MaxAttempts { get; set; } = 4;

    public bool IsMultiTenant => string.Equals(MicrosoftAppType, MultiTenant, StringComparison.OrdinalIgnoreCase);

    public Uri LoginUrl => new(string.IsNullOrEmpty(ToChannelFromBotLoginUrl)
        ? $"https://login.microsoftonline.com/{(IsMultiTenant ? "botframework.com" : MicrosoftAppTenantId)}/oauth2/v2.0/token"
        : ToChannelFromBotLoginUrl);

    public Uri? EntraMetadataUrl =>
        !string.IsNullOrEmpty(ToBotFromEntraOpenIdMetadataUrl) ? new Uri(ToBotFromEntraOpenIdMetadataUrl)
        : string.IsNullOrEmpty(MicrosoftAppTenantId) ? null
        : new Uri($"https://login.microsoftonline.com/{MicrosoftAppTenantId}/v2.0/.well-known/openid-configuration");

    public bool IsTenantAllowed(string? tenantId) =>
        tenantId is { Length: > 0 }
        && (AllowedTenantIds.Count > 0
            ? AllowedTenantIds.Contains(tenantId, StringComparer.OrdinalIgnoreCase)
            : string.Equals(tenantId, MicrosoftAppTenantId, StringComparison.OrdinalIgnoreCase));

    public bool IsReleaseManager(string userId) => ReleaseManagers.Contains(userId, StringComparer.OrdinalIgnoreCase);

    /// <summary>Keys and tokens are fetched over https only; plain http is for loopback fakes.</summary>
    public static bool IsSecureOrLoopback(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps
            || (uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)))));
}

/// <summary>Start-up fails with a message that names the configuration key at fault.</summary>
internal sealed class TeamsOptionsValidator : IValidateOptions<TeamsOptions>
{
    public ValidateOptionsResult Validate(string? name, TeamsOptions options)
    {
        if (string.IsNullOrEmpty(options.MicrosoftAppId))
            return ValidateOptionsResult.Skip;
        const string S = TeamsOptions.Section;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.MicrosoftAppPassword))
            failures.Add($"{S}:MicrosoftAppPassword is required when {S}:MicrosoftAppId is set.");
        if (!options.IsMultiTenant && !string.Equals(options.MicrosoftAppType, TeamsOptions.SingleTenant, StringComparison.OrdinalIgnoreCase))
            failures.Add($"{S}:MicrosoftAppType must be SingleTenant or MultiTenant (managed identities are not supported).");
        else if (!options.IsMultiTenant && string.IsNullOrWhiteSpace(options.MicrosoftAppTenantId))
            failures.Add($"{S}:MicrosoftAppTenantId is required for a SingleTenant bot.");
        else if (options.IsMultiTenant && string.IsNullOrWhiteSpace(options.MicrosoftAppTenantId) && options.AllowedTenantIds.Count == 0)
            failures.Add($"{S}:AllowedTenantIds is required for a MultiTenant bot without {S}:MicrosoftAppTenantId.");
        foreach (var (key, url) in new[]
                 {
                     ("ToBotFromChannelOpenIdMetadataUrl", options.ToBotFromChannelOpenIdMetadataUrl),
                     ("ToBotFromEntraOpenIdMetadataUrl", options.ToBotFromEntraOpenIdMetadataUrl),
                     ("ToChannelFromBotLoginUrl", options.ToChannelFromBotLoginUrl),
                 })
        {
            if (!string.IsNullOrEmpty(url) && !TeamsOptions.IsSecureOrLoopback(url))
                failures.Add($"{S}:{key} must be an absolute https URL (http only for loopback).");
        }
        if (string.IsNullOrWhiteSpace(options.ToChannelFromBotOAuthScope))
            failures.Add($"{S}:ToChannelFromBotOAuthScope must not be empty.");
        if (options.RetryBaseDelay < TimeSpan.Zero)
            failures.Add($"{S}:RetryBaseDelay must not be negative.");
        if (options.MaxAttempts < 1)
            failures.Add($"{S}:MaxAttempts must be at least 1.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
