namespace ChatOpsBot.Features.Web;

/// <summary>The web console's settings (section <c>Web</c>): sign-in providers and administrators.</summary>
internal sealed class WebOptions
{
    public const string Section = "Web";

    public OidcProviderOptions Slack { get; set; } = new();

    public MicrosoftProviderOptions Microsoft { get; set; } = new();

    /// <summary>Console administrators: Slack user ids or Entra object ids.</summary>
    public List<string> Admins { get; set; } = [];

    public bool IsAdmin(string userId) => Admins.Contains(userId, StringComparer.OrdinalIgnoreCase);
}

internal class OidcProviderOptions
{
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The OpenID Connect issuer; overridable so tests use a loopback provider.</summary>
    public string? Authority { get; set; }

    public bool Configured => !string.IsNullOrEmpty(ClientId);
}

internal sealed class MicrosoftProviderOptions : OidcProviderOptions
{
    public string? TenantId { get; set; }
}
