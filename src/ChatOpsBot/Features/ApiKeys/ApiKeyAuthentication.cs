using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ChatOpsBot.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
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

/// <summary>
/// The API keys: those of <c>ChatOpsBot:ApiKeys</c>, held as SHA-256 hashes and compared in constant time, and those
/// made on the console, looked up in the database by hash on every request, so a key revoked on one replica is refused
/// by every replica from the next request on (nothing is cached).
/// </summary>
internal sealed class ApiKeyRing
{
    private readonly (string Name, byte[] Hash, ApiRole Role)[] _keys;
    private readonly IServiceScopeFactory _scopes;

    public ApiKeyRing(IOptions<ChatOpsBotOptions> options, IServiceScopeFactory scopes)
    {
        _scopes = scopes;
        _keys = [.. options.Value.ApiKeys.Select((k, i) => (
            k.Name ?? $"key {i}",
            k.Key is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : Convert.FromHexString(k.KeyHash!),
            k.Role!.Value))];
    }

    /// <summary>The keys of configuration: name, role and the hash's lowercase hex.</summary>
    public IEnumerable<(string Name, ApiRole Role, string Hash)> Configured => _keys.Select(k => (k.Name, k.Role, Convert.ToHexStringLower(k.Hash)));

    /// <summary>Whether configuration holds an Admin key.</summary>
    public bool HasConfiguredAdmin => _keys.Any(k => k.Role == ApiRole.Admin);

    /// <summary>The lowercase hex SHA-256 of a key, as stored.</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task<(string Name, ApiRole Role)?> FindAsync(string presented, CancellationToken cancellationToken)
    {
        if (FindConfigured(presented, out var hash) is { } configured)
            return configured;
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var hex = Convert.ToHexStringLower(hash);
        return Stored(hash, await db.ApiKeys.AsNoTracking().Where(k => k.KeyHash == hex && k.RevokedAt == null)
            .Select(k => new { k.Name, k.Role, k.KeyHash }).FirstOrDefaultAsync(cancellationToken) is { } row ? (row.Name, row.Role, row.KeyHash) : null);
    }

    private (string Name, ApiRole Role)? FindConfigured(string presented, out byte[] hash)
    {
        hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        (string, ApiRole)? match = null;
        // Every key is compared, so the time taken does not say which one (if any) matched.
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
                match = (key.Name, key.Role);
        }
        return match;
    }

    /// <summary>The row the index found, compared once more in constant time.</summary>
    private static (string Name, ApiRole Role)? Stored(byte[] hash, (string Name, ApiRole Role, string KeyHash)? row) =>
        row is { } found && CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(found.KeyHash)) ? (found.Name, found.Role) : null;
}

internal sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRing keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        if (await keys.FindAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted) is not { } key)
            return AuthenticateResult.Fail("Unknown API key.");

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role.ToString())], ApiKeyAuthentication.Scheme);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyAuthentication.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}
