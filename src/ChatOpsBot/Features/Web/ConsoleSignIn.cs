using ChatOpsBot.Features.Web.Pages.SignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// Signing in with Slack and Microsoft Entra ID (OpenID Connect, authorization code with PKCE): each provider only when
/// its <c>Web:…:ClientId</c> is set. The provider's answer never becomes the session itself: the person is mapped to a
/// <see cref="ConsoleIdentity"/> (workspace or tenant, user id, role) by <see cref="ConsoleRoles"/>, or refused.
/// </summary>
internal static partial class ConsoleSignIn
{
    public const string SlackScheme = "Slack";
    public const string MicrosoftScheme = "Microsoft";
    public const string SlackCallback = "/signin-slack";
    public const string MicrosoftCallback = "/signin-microsoft";
    public const string DefaultSlackAuthority = "https://slack.com";

    public static string DefaultMicrosoftAuthority(string? tenantId) => $"https://login.microsoftonline.com/{tenantId}/v2.0";

    public static WebApplicationBuilder AddConsoleSignIn(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<WebOptions>, WebOptionsValidator>();
        builder.Services.AddOptions<WebOptions>().ValidateOnStart();
        builder.Services.AddSingleton<ConsoleRoles>();
        builder.Services.AddSingleton<SlackHomeWorkspace>();
        builder.Services.AddHttpClient(SlackHomeWorkspace.HttpClientName)
            // The bot token must never follow a redirect to another host.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });

        var configuration = builder.Configuration;
        var authentication = builder.Services.AddAuthentication();
        if (!string.IsNullOrEmpty(configuration[$"{WebOptions.Section}:Slack:ClientId"]))
        {
            authentication.AddOpenIdConnect(SlackScheme, "Slack", _ => { });
            Configure(builder.Services, SlackScheme, SlackCallback, web => web.Slack, web => web.Slack.Authority ?? DefaultSlackAuthority);
        }
        if (!string.IsNullOrEmpty(configuration[$"{WebOptions.Section}:Microsoft:ClientId"]))
        {
            authentication.AddOpenIdConnect(MicrosoftScheme, "Microsoft", _ => { });
            Configure(builder.Services, MicrosoftScheme, MicrosoftCallback, web => web.Microsoft,
                web => web.Microsoft.Authority ?? DefaultMicrosoftAuthority(web.Microsoft.TenantId));
        }
        return builder;
    }

    private static void Configure(IServiceCollection services, string scheme, string callback,
        Func<WebOptions, OidcProviderOptions> provider, Func<WebOptions, string> authority)
    {
        services.AddOptions<OpenIdConnectOptions>(scheme).Configure<IOptions<WebOptions>, IOptions<ChatOpsBotOptions>>((oidc, web, host) =>
        {
            var settings = provider(web.Value);
            oidc.Authority = authority(web.Value);
            oidc.ClientId = settings.ClientId;
            oidc.ClientSecret = settings.ClientSecret;
            oidc.CallbackPath = callback;
            oidc.SignInScheme = ConsoleAuthentication.Scheme;
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            // Slack's discovery offers the query response mode only; Entra offers it for the code flow too. The
            // provider redirects back with a top-level GET, so the correlation and nonce cookies may be SameSite=Lax.
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.UsePkce = true;
            oidc.Scope.Clear();
            oidc.Scope.Add("openid");
            oidc.Scope.Add("profile");
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = false;
            oidc.SaveTokens = false;
            oidc.RequireHttpsMetadata = !IsLoopbackHttp(oidc.Authority);
            oidc.TokenValidationParameters.NameClaimType = "name";
            // IdentityModel checks a token's lifetime and the nonce's age on the machine's clock, so the handler's own
            // time (state and cookie expiry) follows the same clock rather than the app's.
            oidc.TimeProvider = TimeProvider.System;
            var secure = ConsoleAuthentication.SecurePolicy(host.Value.PublicBaseUrl);
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = secure;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = secure;
            if (scheme == MicrosoftScheme)
                oidc.TokenValidationParameters.IssuerValidatorUsingConfiguration = EntraIssuer;
            oidc.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = context => TokenValidatedAsync(context, scheme),
                OnRedirectToIdentityProvider = context =>
                {
                    // Slack skips its workspace picker for the one workspace this host serves.
                    if (scheme == SlackScheme && context.HttpContext.RequestServices.GetRequiredService<ConsoleRoles>().SlackTeamHint is { } team)
                        context.ProtocolMessage.SetParameter("team", team);
                    return Task.CompletedTask;
                },
                OnAccessDenied = context =>
                {
                    Log(context.HttpContext).SignInFailed(scheme, "the person declined, or the provider denied access");
                    context.Response.Redirect(FailedPath(context.Request, scheme, "denied"));
                    context.HandleResponse();
                    return Task.CompletedTask;
                },
                OnRemoteFailure = context =>
                {
                    Log(context.HttpContext).SignInFailed(scheme, context.Failure?.Message ?? "unknown");
                    context.Response.Redirect(FailedPath(context.Request, scheme, "failed"));
                    context.HandleResponse();
                    return Task.CompletedTask;
                },
            };
        });
    }

    private static async Task TokenValidatedAsync(TokenValidatedContext context, string scheme)
    {
        var roles = context.HttpContext.RequestServices.GetRequiredService<ConsoleRoles>();
        var claims = context.Principal!;
        var verdict = scheme == SlackScheme
            ? await roles.SlackAsync(claims.FindFirst("https://slack.com/team_id")?.Value,
                claims.FindFirst("https://slack.com/user_id")?.Value ?? claims.FindFirst("sub")?.Value,
                claims.FindFirst("name")?.Value, context.HttpContext.RequestAborted)
            : roles.Microsoft(claims.FindFirst("tid")?.Value, claims.FindFirst("oid")?.Value, claims.FindFirst("name")?.Value);
        var log = Log(context.HttpContext);
        switch (verdict)
        {
            case SignInVerdict.Admitted(var person):
                log.SignedIn(scheme, person.Platform, person.Workspace, person.UserId, person.Role);
                // The session holds the console's own identity, not the provider's claims.
                context.Principal = person.ToPrincipal();
                context.Properties!.IsPersistent = false;
                context.Properties.RedirectUri = SignInModel.LocalReturn(context.Properties.RedirectUri) ?? context.Request.PathBase + "/";
                break;
            case SignInVerdict.Refused(var why, var id, var reason):
                log.SignInRefused(scheme, reason);
                context.Response.Redirect($"{context.Request.PathBase}/signin/refused?why={why}" + (id is null ? "" : "&id=" + Uri.EscapeDataString(id)));
                // No session: the handler stops here without signing anybody in.
                context.HandleResponse();
                break;
        }
    }

    /// <summary>
    /// Entra's multi-tenant metadata (<c>organizations</c>, <c>common</c>) names its issuer with a <c>{tenantid}</c>
    /// placeholder: a token is valid when its issuer is that one with its own <c>tid</c>. A single tenant's metadata
    /// names that tenant, and the token must carry exactly it.
    /// </summary>
    private static string EntraIssuer(string issuer, SecurityToken token, TokenValidationParameters parameters, BaseConfiguration? configuration)
    {
        var tenant = token is JsonWebToken jwt && jwt.TryGetPayloadValue<string>("tid", out var tid) ? tid : null;
        var expected = (parameters.ValidIssuers ?? []).Append(parameters.ValidIssuer).Append(configuration?.Issuer).OfType<string>();
        if (tenant is { Length: > 0 } && expected.Any(e => string.Equals(e.Replace("{tenantid}", tenant, StringComparison.OrdinalIgnoreCase), issuer, StringComparison.Ordinal)))
            return issuer;
        throw new SecurityTokenInvalidIssuerException($"The token's issuer {issuer} is not the one the provider's metadata names for tenant {tenant}.");
    }

    // Under the request's base path: a PublicBaseUrl with a path (https://example.com/bot) is where the browser is.
    private static string FailedPath(HttpRequest request, string scheme, string reason) =>
        $"{request.PathBase}/signin/failed?provider={scheme.ToLowerInvariant()}&reason={reason}";

    public static WebApplication MapConsoleSignIn(this WebApplication app)
    {
        app.MapGet("/signin/slack", (HttpContext http, string? returnUrl) => StartAsync(http, SlackScheme, returnUrl)).ExcludeFromDescription();
        app.MapGet("/signin/microsoft", (HttpContext http, string? returnUrl) => StartAsync(http, MicrosoftScheme, returnUrl)).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> StartAsync(HttpContext http, string scheme, string? returnUrl)
    {
        var schemes = http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>();
        if (await schemes.GetSchemeAsync(scheme) is null)
            return TypedResults.NotFound();
        try
        {
            await http.ChallengeAsync(scheme, new AuthenticationProperties { RedirectUri = SignInModel.LocalReturn(returnUrl) ?? http.Request.PathBase + "/" });
            return TypedResults.Empty;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            // The provider's metadata could not be read: say so rather than fail with a 500.
            Log(http).SignInFailed(scheme, e.Message);
            return TypedResults.Redirect(FailedPath(http.Request, scheme, "unreachable"));
        }
    }

    private static bool IsLoopbackHttp(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && PublicBaseUrl.IsLoopback(uri);

    internal static bool IsSecureOrLoopback(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || IsLoopbackHttp(url));

    private static SignInLog Log(HttpContext http) => new(http.RequestServices.GetRequiredService<ILogger<SignInLog>>());

    internal sealed partial class SignInLog(ILogger<SignInLog> logger)
    {
        [LoggerMessage(EventId = 6751, Level = LogLevel.Information,
            Message = "Signed in to the console with {Scheme}: {Platform} person {UserId} of {Workspace} as {Role}")]
        private static partial void LogSignedIn(ILogger logger, string scheme, string platform, string? workspace, string userId, ConsoleRole role);

        [LoggerMessage(EventId = 6752, Level = LogLevel.Information, Message = "Refused a console sign-in with {Scheme}: {Reason}")]
        private static partial void LogRefused(ILogger logger, string scheme, string reason);

        [LoggerMessage(EventId = 6753, Level = LogLevel.Warning, Message = "A console sign-in with {Scheme} failed: {Reason}")]
        private static partial void LogFailed(ILogger logger, string scheme, string reason);

        public void SignedIn(string scheme, string platform, string? workspace, string userId, ConsoleRole role) =>
            LogSignedIn(logger, scheme, platform, workspace, userId, role);

        public void SignInRefused(string scheme, string reason) => LogRefused(logger, scheme, reason);

        public void SignInFailed(string scheme, string reason) => LogFailed(logger, scheme, reason);
    }
}

/// <summary>Start-up fails with a message that names the configuration key at fault.</summary>
internal sealed class WebOptionsValidator : IValidateOptions<WebOptions>
{
    public ValidateOptionsResult Validate(string? name, WebOptions options)
    {
        const string S = WebOptions.Section;
        var failures = new List<string>();
        foreach (var (key, provider) in new (string, OidcProviderOptions)[] { ("Slack", options.Slack), ("Microsoft", options.Microsoft) })
        {
            if (!provider.Configured)
                continue;
            if (string.IsNullOrWhiteSpace(provider.ClientSecret))
                failures.Add($"{S}:{key}:ClientSecret is required when {S}:{key}:ClientId is set.");
            if (provider.Authority is not null && !ConsoleSignIn.IsSecureOrLoopback(provider.Authority))
                failures.Add($"{S}:{key}:Authority must be an absolute https URL (http only for loopback).");
        }
        if (options.Microsoft.Configured && string.IsNullOrWhiteSpace(options.Microsoft.TenantId))
            failures.Add($"{S}:Microsoft:TenantId is required when {S}:Microsoft:ClientId is set: the directory (tenant) id of the app registration.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
