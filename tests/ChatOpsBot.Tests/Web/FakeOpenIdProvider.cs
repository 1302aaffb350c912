using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatOpsBot.Tests.Web;

/// <summary>How the fake spoils the ID token it issues, for the tests of what the host refuses.</summary>
public enum FakeTokenFault
{
    None,
    /// <summary>Signed with a key the JWKS does not publish, under the published key's id.</summary>
    Signature,
    /// <summary>Issued in another issuer's name.</summary>
    Issuer,
    /// <summary>Expired an hour ago.</summary>
    Expired,
}

/// <summary>
/// An OpenID Connect provider on a loopback port that behaves like Slack's or Entra's: discovery, JWKS (an RSA key per
/// run), /authorize (records the request and redirects back with a code and the state, or with an error), /token
/// (checks the client's id and secret, the code, the redirect URI and the PKCE verifier; answers an RS256 ID token
/// that echoes the nonce). Tokens are dated on the machine's clock, which IdentityModel checks them against.
/// </summary>
internal sealed class FakeOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "fake-client-id";
    public const string ClientSecret = "fake-client-secret-0123456789";

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _otherKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _grants = new(StringComparer.Ordinal);

    private sealed record Grant(Dictionary<string, object> Claims, string RedirectUri, string? Challenge, string? ChallengeMethod, string? Nonce);

    private FakeOpenIdProvider(WebApplication app, string path)
    {
        _app = app;
        _path = path;
    }

    private readonly string _path;

    /// <summary>A provider like Slack's (issuer = its base address).</summary>
    public static Task<FakeOpenIdProvider> SlackAsync() => StartAsync("/slack");

    /// <summary>
    /// A provider like Entra's v2.0 endpoint of one tenant, or of <c>organizations</c>: then its metadata names the
    /// issuer with a <c>{tenantid}</c> placeholder and each token is issued in the name of the person's tenant.
    /// </summary>
    public static Task<FakeOpenIdProvider> EntraAsync(string tenant) => StartAsync($"/{tenant}/v2.0");

    private bool MultiTenant => _path == "/organizations/v2.0";

    private static async Task<FakeOpenIdProvider> StartAsync(string path)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeOpenIdProvider(app, path);
        app.MapGet(path + "/.well-known/openid-configuration", (Delegate)fake.Discovery);
        app.MapGet(path + "/keys", (Delegate)fake.Jwks);
        app.MapGet(path + "/authorize", (Delegate)fake.Authorize);
        app.MapPost(path + "/token", (Delegate)fake.TokenAsync);
        await app.StartAsync();
        fake.Origin = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single().TrimEnd('/');
        return fake;
    }

    public string Origin { get; private set; } = "";

    /// <summary>The issuer and the authority the host is configured with.</summary>
    public string Authority => Origin + _path;

    /// <summary>The claims of the person who signs in at the next /authorize (besides iss, aud, times and nonce).</summary>
    public Dictionary<string, object> Person { get; set; } = [];

    /// <summary>When set, /authorize answers this OAuth error (e.g. <c>access_denied</c>) instead of a code.</summary>
    public string? Error { get; set; }

    public FakeTokenFault Fault { get; set; }

    /// <summary>The query of every /authorize request.</summary>
    public ConcurrentQueue<Dictionary<string, string>> AuthorizeRequests { get; } = new();

    /// <summary>The form of every /token request.</summary>
    public ConcurrentQueue<Dictionary<string, string>> TokenRequests { get; } = new();

    /// <summary>Why /token refused, for failure messages.</summary>
    public ConcurrentQueue<string> TokenRefusals { get; } = new();

    /// <summary>A Slack person: the claims Sign in with Slack puts in its ID token.</summary>
    public static Dictionary<string, object> SlackPerson(string teamId, string userId, string name = "Ada Lovelace") => new()
    {
        ["sub"] = userId,
        ["https://slack.com/user_id"] = userId,
        ["https://slack.com/team_id"] = teamId,
        ["name"] = name,
        ["email"] = "ada@example.test",
    };

    /// <summary>An Entra person: tenant, object id and a pairwise subject.</summary>
    public static Dictionary<string, object> EntraPerson(string tenantId, string objectId, string name = "Grace Hopper") => new()
    {
        ["sub"] = "pairwise-" + objectId,
        ["tid"] = tenantId,
        ["oid"] = objectId,
        ["name"] = name,
        ["ver"] = "2.0",
    };

    private IResult Discovery() => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = MultiTenant ? Origin + "/{tenantid}/v2.0" : Authority,
        ["authorization_endpoint"] = Authority + "/authorize",
        ["token_endpoint"] = Authority + "/token",
        ["jwks_uri"] = Authority + "/keys",
        ["scopes_supported"] = new[] { "openid", "profile", "email" },
        ["response_types_supported"] = new[] { "code" },
        ["response_modes_supported"] = new[] { "query" },
        ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
    });

    private IResult Jwks()
    {
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        return Results.Json(new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", alg = "RS256", kid = "fake-key", n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
            },
        });
    }

    private IResult Authorize(HttpContext http)
    {
        var query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        AuthorizeRequests.Enqueue(query);
        if (query.GetValueOrDefault("client_id") != ClientId || query.GetValueOrDefault("response_type") != "code"
            || !query.TryGetValue("redirect_uri", out var redirect) || !Uri.IsWellFormedUriString(redirect, UriKind.Absolute))
            return Results.BadRequest("bad authorization request");
        var state = Uri.EscapeDataString(query.GetValueOrDefault("state") ?? "");
        if (Error is { } error)
            return Results.Redirect($"{redirect}?error={Uri.EscapeDataString(error)}&state={state}");
        var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _grants[code] = new Grant(new Dictionary<string, object>(Person), redirect, query.GetValueOrDefault("code_challenge"),
            query.GetValueOrDefault("code_challenge_method"), query.GetValueOrDefault("nonce"));
        return Results.Redirect($"{redirect}?code={code}&state={state}");
    }

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        var form = (await http.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        TokenRequests.Enqueue(form);
        var (clientId, clientSecret) = (form.GetValueOrDefault("client_id"), form.GetValueOrDefault("client_secret"));
        if (http.Request.Headers.Authorization.ToString() is { } basic && basic.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic[6..])).Split(':', 2);
            (clientId, clientSecret) = (Uri.UnescapeDataString(pair[0]), Uri.UnescapeDataString(pair[1]));
        }
        if (clientId != ClientId || clientSecret != ClientSecret)
            return Refuse("invalid_client", "client id or secret");
        if (form.GetValueOrDefault("grant_type") != "authorization_code" || form.GetValueOrDefault("code") is not { } code || !_grants.TryRemove(code, out var grant))
            return Refuse("invalid_grant", "unknown or reused code");
        if (form.GetValueOrDefault("redirect_uri") != grant.RedirectUri)
            return Refuse("invalid_grant", "redirect_uri differs from the authorization request's");
        if (grant.ChallengeMethod != "S256" || form.GetValueOrDefault("code_verifier") is not { } verifier
            || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
            return Refuse("invalid_grant", "PKCE code_verifier does not match the S256 code_challenge");
        return Results.Json(new Dictionary<string, object>
        {
            ["ok"] = true,
            ["access_token"] = "fake-access-token",
            ["token_type"] = "Bearer",
            ["expires_in"] = 3600,
            ["id_token"] = IdToken(grant),
        });
    }

    private IResult Refuse(string error, string why)
    {
        TokenRefusals.Enqueue(why);
        return Results.Json(new { error, error_description = why }, statusCode: 400);
    }

    private string IdToken(Grant grant)
    {
        // The machine's clock, as the host's token validation uses it; never the tests' fake clock.
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>(grant.Claims);
        if (grant.Nonce is not null)
            claims["nonce"] = grant.Nonce;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Fault == FakeTokenFault.Issuer ? "https://impostor.example.test"
                : MultiTenant ? $"{Origin}/{grant.Claims["tid"]}/v2.0"
                : Authority,
            Audience = ClientId,
            Claims = claims,
            IssuedAt = Fault == FakeTokenFault.Expired ? now.AddHours(-2) : now,
            NotBefore = Fault == FakeTokenFault.Expired ? now.AddHours(-2) : now.AddMinutes(-1),
            Expires = Fault == FakeTokenFault.Expired ? now.AddHours(-1) : now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(Fault == FakeTokenFault.Signature ? _otherKey : _key) { KeyId = "fake-key" }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _key.Dispose();
        _otherKey.Dispose();
    }
}

/// <summary>A sign-in through the host and the fake provider, each redirect followed by hand.</summary>
internal static class OidcFlow
{
    /// <summary>
    /// Starts at <paramref name="start"/>, lets the provider answer, and delivers its answer to the host's callback;
    /// returns the callback's response (a redirect to where the person lands).
    /// </summary>
    public static async Task<HttpResponseMessage> SignInAsync(ConsoleBrowser browser, string start = "/signin/slack")
    {
        var authorize = await ToProviderAsync(browser, start);
        return await browser.GetAsync(await ProviderAnswerAsync(authorize));
    }

    /// <summary>The host's redirect to the provider's /authorize.</summary>
    public static async Task<Uri> ToProviderAsync(ConsoleBrowser browser, string start)
    {
        using var challenge = await browser.GetAsync(start);
        Xunit.Assert.True(challenge.StatusCode == HttpStatusCode.Redirect, $"GET {start}: {(int)challenge.StatusCode} {await challenge.Content.ReadAsStringAsync()}");
        return challenge.Headers.Location!;
    }

    /// <summary>Where the provider's /authorize sends the browser back to (the host's callback, with code or error).</summary>
    public static async Task<string> ProviderAnswerAsync(Uri authorize)
    {
        using var provider = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        using var answer = await provider.GetAsync(authorize);
        Xunit.Assert.True(answer.StatusCode == HttpStatusCode.Redirect, $"GET {authorize}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        return answer.Headers.Location!.ToString();
    }

    public static bool HasSession(ConsoleBrowser browser) =>
        browser.Cookies.GetAllCookies().Any(c => c.Name == Features.Web.ConsoleAuthentication.CookieName);
}
