using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using ChatOpsBot.Features.ApiKeys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.WebEncoders;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// The console's session: a cookie issued after sign-in (an OpenID Connect provider, an Admin API key, or the one-time
/// set-up address), carrying who the person is and their roles. The HTTP API keeps its bearer keys.
/// </summary>
internal static class ConsoleAuthentication
{
    public const string Scheme = "Console";
    public const string CookieName = "chatopsbot.console";

    public const string Member = "ConsoleMember";
    public const string ReleaseManager = "ConsoleReleaseManager";
    public const string Admin = "ConsoleAdmin";

    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    public static WebApplicationBuilder AddWebConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebOptions>().BindConfiguration(WebOptions.Section);
        // Pages are UTF-8: letters of every script stay as they are, markup characters are still encoded.
        builder.Services.Configure<WebEncoderOptions>(encoder => encoder.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        builder.Services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Features/Web/Pages";
            // Every page is for signed-in people unless it says otherwise.
            pages.Conventions.AuthorizeFolder("/", Member);
            pages.Conventions.AllowAnonymousToPage("/Index");
            pages.Conventions.AllowAnonymousToFolder("/SignIn");
            pages.Conventions.AddFolderApplicationModelConvention("/", model => model.Filters.Add(new ConsolePageSecurity()));
        });
        builder.Services.AddAuthentication()
            .AddCookie(Scheme, cookie =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.ExpireTimeSpan = SessionLifetime;
                cookie.SlidingExpiration = true;
                cookie.LoginPath = "/signin";
                cookie.LogoutPath = "/signout";
                cookie.AccessDeniedPath = "/denied";
                cookie.ReturnUrlParameter = "returnUrl";
            });
        builder.Services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<ChatOpsBotOptions>>((cookie, options) =>
            cookie.Cookie.SecurePolicy = SecurePolicy(options.Value.PublicBaseUrl));
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "chatopsbot.antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.FormFieldName = "__antiforgery";
        });
        builder.Services.AddOptions<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>().Configure<IOptions<ChatOpsBotOptions>>((antiforgery, options) =>
            antiforgery.Cookie.SecurePolicy = SecurePolicy(options.Value.PublicBaseUrl));
        // Roles are ranked: an Admin may do what a ReleaseManager may, who may do what a Member may.
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Member, p => p.AddAuthenticationSchemes(Scheme).RequireRole(nameof(ConsoleRole.Member), nameof(ConsoleRole.ReleaseManager), nameof(ConsoleRole.Admin)))
            .AddPolicy(ReleaseManager, p => p.AddAuthenticationSchemes(Scheme).RequireRole(nameof(ConsoleRole.ReleaseManager), nameof(ConsoleRole.Admin)))
            .AddPolicy(Admin, p => p.AddAuthenticationSchemes(Scheme).RequireRole(nameof(ConsoleRole.Admin)));
        builder.Services.AddSingleton<ApiKeySignIn>();
        builder.Services.AddSingleton<SignInChoices>();
        builder.AddConsoleSignIn();
        builder.Services.AddSingleton<HealthPageRuns>();
        return builder;
    }

    public static WebApplication MapWebConsole(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapConsoleSignIn();
        return app;
    }

    /// <summary>Cookies are Secure everywhere but a loopback http origin, where a browser could not send them back.</summary>
    internal static CookieSecurePolicy SecurePolicy(string publicBaseUrl) =>
        Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var origin) && origin.Scheme == Uri.UriSchemeHttp
            ? CookieSecurePolicy.SameAsRequest
            : CookieSecurePolicy.Always;

    /// <summary>Signs the person in to the console with a fresh session cookie.</summary>
    public static Task SignInAsync(HttpContext http, ConsoleIdentity person) =>
        http.SignInAsync(Scheme, person.ToPrincipal(), new AuthenticationProperties { IsPersistent = false });
}

/// <summary>Console roles, ranked.</summary>
internal enum ConsoleRole
{
    Member,
    ReleaseManager,
    Admin,
}

/// <summary>
/// Who is signed in to the console. <see cref="Platform"/> is <c>slack</c>, <c>teams</c> or <c>web</c> (an API key or
/// the set-up address); <see cref="Workspace"/> and <see cref="UserId"/> are the chat identity, so a link minted here
/// belongs to the same person as one minted in chat.
/// </summary>
internal sealed record ConsoleIdentity(string Platform, string? Workspace, string UserId, string Name, ConsoleRole Role)
{
    public const string PlatformClaim = "chatopsbot:platform";
    public const string WorkspaceClaim = "chatopsbot:workspace";
    public const string UserClaim = "chatopsbot:user";

    /// <summary>A stable, unique id: platform, workspace and user.</summary>
    public string Id => Workspace is null ? $"{Platform}:{UserId}" : $"{Platform}:{Workspace}:{UserId}";

    public ClaimsPrincipal ToPrincipal()
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, Id),
            new(ClaimTypes.Name, Name),
            new(PlatformClaim, Platform),
            new(UserClaim, UserId),
            new(ClaimTypes.Role, Role.ToString()),
        ];
        if (Workspace is not null)
            claims.Add(new Claim(WorkspaceClaim, Workspace));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, ConsoleAuthentication.Scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static ConsoleIdentity? From(ClaimsPrincipal principal)
    {
        if (principal.Identity is not { IsAuthenticated: true, AuthenticationType: ConsoleAuthentication.Scheme }
            || principal.FindFirstValue(PlatformClaim) is not { } platform
            || principal.FindFirstValue(UserClaim) is not { } user
            || !Enum.TryParse<ConsoleRole>(principal.FindFirstValue(ClaimTypes.Role), out var role))
            return null;
        return new ConsoleIdentity(platform, principal.FindFirstValue(WorkspaceClaim), user, principal.Identity.Name ?? user, role);
    }

    public bool IsAtLeast(ConsoleRole role) => Role >= role;
}

/// <summary>Administrators may sign in with an Admin API key; other keys are for CI, not for people.</summary>
internal sealed class ApiKeySignIn(ApiKeyRing keys)
{
    public async Task<ConsoleIdentity?> VerifyAsync(string? presented, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(presented) || await keys.FindAsync(presented.Trim(), cancellationToken) is not { Role: ApiRole.Admin } key)
            return null;
        return new ConsoleIdentity("web", null, "key:" + key.Name, key.Name, ConsoleRole.Admin);
    }
}
