using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.ApiKeys;

internal static class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    public const string AnyKey = "AnyApiKey";
    public const string ReleaseManager = "ReleaseManager";
    public const string Admin = "Admin";

    public static WebApplicationBuilder AddApiKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiKeyRing>();
        builder.Services.AddAuthentication(Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(Scheme, null);
        // Roles are ranked: an Admin may do what a ReleaseManager may, who may do what an Uploader may.
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AnyKey, p => p.RequireRole(nameof(ApiRole.Uploader), nameof(ApiRole.ReleaseManager), nameof(ApiRole.Admin)))
            .AddPolicy(ReleaseManager, p => p.RequireRole(nameof(ApiRole.ReleaseManager), nameof(ApiRole.Admin)))
            .AddPolicy(Admin, p => p.RequireRole(nameof(ApiRole.Admin)));
        return builder;
    }
}

/// <summary>The configured keys, held as SHA-256 hashes and compared in constant time.</summary>
internal sealed class ApiKeyRing
{
    private readonly (string Name, byte[] Hash, ApiRole Role)[] _keys;

    public ApiKeyRing(IOptions<ChatOpsBotOptions> options)
    {
        _keys = [.. options.Value.ApiKeys.Select((k, i) => (
            k.Name ?? $"key {i}",
            k.Key is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : Convert.FromHexString(k.KeyHash!),
            k.Role!.Value))];
    }

    public (string Name, ApiRole Role)? Find(string presented)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        (string, ApiRole)? match = null;
        // Every key is compared, so the time taken does not say which one (if any) matched.
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
                match = (key.Name, key.Role);
        }
        return match;
    }
}

internal sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRing keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (keys.Find(header["Bearer ".Length..].Trim()) is not { } key)
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role.ToString())], ApiKeyAuthentication.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyAuthentication.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}
