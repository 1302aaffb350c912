using System.Net;
using ChatOpsBot.Features.Web;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Tests.Web;

/// <summary>Signing in to the console with Slack and with Microsoft Entra ID, through a loopback OpenID provider.</summary>
public sealed class ProviderSignInTests
{
    private const string Team = "T0001";
    private const string Tenant = "6a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d";
    private const string PartnerTenant = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

    private static Dictionary<string, string?> SlackSettings(FakeOpenIdProvider slack, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Web:Slack:ClientId"] = FakeOpenIdProvider.ClientId,
            ["Web:Slack:ClientSecret"] = FakeOpenIdProvider.ClientSecret,
            ["Web:Slack:Authority"] = slack.Authority,
            ["Slack:AllowedTeamIds:0"] = Team,
            ["Slack:ReleaseManagers:0"] = "U0RM",
            ["Web:Admins:0"] = "U0ADMIN",
        };
        foreach (var (key, value) in more)
            settings[key] = value;
        return settings;
    }

    /// <summary>An app registration of <paramref name="tenant"/> (a tenant id, or <c>organizations</c>, whose own tenant is Teams' app tenant).</summary>
    private static Dictionary<string, string?> MicrosoftSettings(FakeOpenIdProvider entra, string tenant = Tenant) => new()
    {
        ["Web:Microsoft:ClientId"] = FakeOpenIdProvider.ClientId,
        ["Web:Microsoft:ClientSecret"] = FakeOpenIdProvider.ClientSecret,
        ["Web:Microsoft:TenantId"] = tenant,
        ["Teams:MicrosoftAppTenantId"] = tenant == Tenant ? null : Tenant,
        ["Web:Microsoft:Authority"] = entra.Authority,
        ["Teams:AllowedTenantIds:0"] = PartnerTenant,
        ["Teams:ReleaseManagers:0"] = "b0b0b0b0-0000-4000-8000-0000000000rm",
        ["Web:Admins:0"] = "a0a0a0a0-0000-4000-8000-00000000admn",
    };

    /// <summary>The console identity in the browser's session cookie, read with the host's own keys.</summary>
    private static ConsoleIdentity? Session(ChatOpsBotApplication app, ConsoleBrowser browser)
    {
        var cookie = browser.Cookies.GetAllCookies().SingleOrDefault(c => c.Name == ConsoleAuthentication.CookieName);
        if (cookie is null)
            return null;
        var options = app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(ConsoleAuthentication.Scheme);
        return options.TicketDataFormat.Unprotect(cookie.Value) is { } ticket ? ConsoleIdentity.From(ticket.Principal) : null;
    }

    [Theory]
    [InlineData("U0001", "Member")]
    [InlineData("U0RM", "ReleaseManager")]
    [InlineData("U0ADMIN", "Admin")]
    public async Task SlackPersonOfAnAllowedTeamSignsInWithTheRoleTheSettingsGive(string userId, string role)
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, userId);

        using var landed = await OidcFlow.SignInAsync(browser, "/signin/slack?returnUrl=%2Fdenied");

        Assert.True(landed.StatusCode == HttpStatusCode.Redirect, string.Join("; ", slack.TokenRefusals) + string.Join("; ", app.Logs));
        Assert.Equal("/denied", landed.Headers.Location?.OriginalString);
        var cookie = landed.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleAuthentication.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new ConsoleIdentity("slack", Team, userId, "Ada Lovelace", Enum.Parse<ConsoleRole>(role)), Session(app, browser));
        Assert.Contains("id=\"signed-in-as\">Ada Lovelace<", await browser.GetPageAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHostAsksForACodeWithPkceAndRedeemsItAtItsPublicCallbackAddress()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0001");

        using var landed = await OidcFlow.SignInAsync(browser);

        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        var authorize = Assert.Single(slack.AuthorizeRequests);
        Assert.Equal(app.PublicBaseUrl + "/signin-slack", authorize["redirect_uri"]);
        Assert.Equal("code", authorize["response_type"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.Equal(["openid", "profile"], authorize["scope"].Split(' ').Order());
        Assert.False(string.IsNullOrEmpty(authorize["nonce"]));
        Assert.Equal(Team, authorize["team"]);
        var token = Assert.Single(slack.TokenRequests);
        Assert.Equal(app.PublicBaseUrl + "/signin-slack", token["redirect_uri"]);
        Assert.Empty(slack.TokenRefusals);
    }

    [Fact]
    public async Task TheRedirectAddressFollowsThePublicOriginNotTheAddressTheRequestCameTo()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        // Public origin https://ota.example.test; Kestrel on plain loopback http, as behind a TLS front.
        await using var app = new ChatOpsBotApplication(SlackSettings(slack));
        using var browser = new ConsoleBrowser(app);

        var authorize = await OidcFlow.ToProviderAsync(browser, "/signin/slack");

        Assert.StartsWith(slack.Authority + "/authorize?", authorize.ToString(), StringComparison.Ordinal);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal("https://ota.example.test/signin-slack", query["redirect_uri"].ToString());
    }

    [Fact]
    public async Task APublicBaseUrlWithAPathPutsTheCallbackAndItsCookiesUnderThatPathAndTheSignInCompletesThroughIt()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        // Served at https://ota.example.test/bot by a proxy that strips /bot before the request reaches the host.
        var settings = SlackSettings(slack, ("ChatOpsBot:PublicBaseUrl", "https://ota.example.test/bot"));
        await using var app = new ChatOpsBotApplication(settings);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0001");
        using var loopback = app.CreateLoopbackClient();
        using var host = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = loopback.BaseAddress };

        using var challenge = await host.GetAsync("/signin/slack");

        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(challenge.Headers.Location!.Query);
        Assert.Equal("https://ota.example.test/bot/signin-slack", query["redirect_uri"].ToString());
        var cookies = challenge.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(cookies);
        // The correlation and nonce cookies reach the callback only if their path is the one the browser requests.
        Assert.All(cookies, c => Assert.Contains("path=/bot/signin-slack", c, StringComparison.OrdinalIgnoreCase));

        // The browser comes back to /bot/signin-slack with those cookies; the proxy hands the host /signin-slack.
        var answer = new Uri(await OidcFlow.ProviderAnswerAsync(challenge.Headers.Location!));
        Assert.Equal("/bot/signin-slack", answer.AbsolutePath);
        using var callback = new HttpRequestMessage(HttpMethod.Get, "/signin-slack" + answer.Query);
        callback.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => c.Split(';')[0])));
        using var landed = await host.SendAsync(callback);

        Assert.True(landed.StatusCode == HttpStatusCode.Redirect, $"{(int)landed.StatusCode} {string.Join("; ", slack.TokenRefusals)} {app.ServerErrors()}");
        Assert.Equal("https://ota.example.test/bot/signin-slack", Assert.Single(slack.TokenRequests)["redirect_uri"]);
        var session = landed.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleAuthentication.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("path=/bot", session, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SlackPersonOfAnotherWorkspaceIsToldSoAndGetsNoSession()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson("T0OTHER", "U0ADMIN");

        using var landed = await OidcFlow.SignInAsync(browser);

        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        using var page = await browser.GetAsync(landed.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("Your Slack workspace (T0OTHER) is not one this ChatOpsBot serves.", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(OidcFlow.HasSession(browser));
        Assert.DoesNotContain("signed-in-as", await browser.GetPageAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAllowedTeamsTheSlackAppsOwnWorkspaceGetsInAndNoOtherDoes()
    {
        await using var slackApi = await FakeSlackApi.StartAsync();
        slackApi.Enqueue("/api/auth.test", new FakeSlackAnswer(200, """{"ok":true,"team_id":"T0HOME","team":"Home","user_id":"UBOT"}"""));
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        var settings = SlackSettings(slack, ("Slack:BotToken", "xoxb-fake-token"), ("Slack:ApiBaseUrl", slackApi.ApiBaseUrl));
        settings.Remove("Slack:AllowedTeamIds:0");
        await using var app = new ChatOpsBotApplication(settings, servePublicBaseUrl: true);

        using var home = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson("T0HOME", "U0001");
        using var admitted = await OidcFlow.SignInAsync(home);
        using var other = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson("T0OTHER", "U0002");
        using var refused = await OidcFlow.SignInAsync(other);

        Assert.Equal(new ConsoleIdentity("slack", "T0HOME", "U0001", "Ada Lovelace", ConsoleRole.Member), Session(app, home));
        Assert.StartsWith("/signin/refused", refused.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.False(OidcFlow.HasSession(other));
        var call = Assert.Single(slackApi.Calls, c => c.Path == "/api/auth.test");
        Assert.Equal("Bearer xoxb-fake-token", call.Authorization);
    }

    [Fact]
    public async Task WithoutAllowedTeamsOrABotTokenNobodyGetsInWithSlack()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        var settings = SlackSettings(slack);
        settings.Remove("Slack:AllowedTeamIds:0");
        await using var app = new ChatOpsBotApplication(settings, servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0ADMIN");

        using var landed = await OidcFlow.SignInAsync(browser);

        using var page = await browser.GetAsync(landed.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("Slack:AllowedTeamIds", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(OidcFlow.HasSession(browser));
    }

    [Theory]
    [InlineData(Tenant, Tenant, "c0c0c0c0-0000-4000-8000-000000000001", "Member")]
    [InlineData(Tenant, Tenant, "a0a0a0a0-0000-4000-8000-00000000admn", "Admin")]
    [InlineData("organizations", PartnerTenant, "b0b0b0b0-0000-4000-8000-0000000000rm", "ReleaseManager")]
    [InlineData("organizations", Tenant, "c0c0c0c0-0000-4000-8000-000000000001", "Member")]
    public async Task MicrosoftPersonOfAServedTenantSignsInByTenantAndObjectId(string registration, string tenantId, string objectId, string role)
    {
        await using var entra = await FakeOpenIdProvider.EntraAsync(registration);
        await using var app = new ChatOpsBotApplication(MicrosoftSettings(entra, registration), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        entra.Person = FakeOpenIdProvider.EntraPerson(tenantId, objectId);

        using var landed = await OidcFlow.SignInAsync(browser, "/signin/microsoft");

        Assert.True(landed.StatusCode == HttpStatusCode.Redirect && landed.Headers.Location?.OriginalString == "/",
            $"{(int)landed.StatusCode} {landed.Headers.Location} {string.Join("; ", entra.TokenRefusals)} {string.Join("\n", app.Logs.Where(l => l.Contains("sign-in", StringComparison.Ordinal)))}");
        Assert.Equal(new ConsoleIdentity("teams", tenantId, objectId, "Grace Hopper", Enum.Parse<ConsoleRole>(role)), Session(app, browser));
        Assert.Equal(app.PublicBaseUrl + "/signin-microsoft", Assert.Single(entra.AuthorizeRequests)["redirect_uri"]);
    }

    [Fact]
    public async Task MicrosoftPersonOfAnotherTenantIsToldSoAndGetsNoSession()
    {
        await using var entra = await FakeOpenIdProvider.EntraAsync("organizations");
        await using var app = new ChatOpsBotApplication(MicrosoftSettings(entra, "organizations"), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        entra.Person = FakeOpenIdProvider.EntraPerson("99999999-9999-4999-8999-999999999999", "a0a0a0a0-0000-4000-8000-00000000admn");

        using var landed = await OidcFlow.SignInAsync(browser, "/signin/microsoft");

        using var page = await browser.GetAsync(landed.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("tenant 99999999-9999-4999-8999-999999999999", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(OidcFlow.HasSession(browser));
    }

    [Theory]
    [InlineData(FakeTokenFault.Signature)]
    [InlineData(FakeTokenFault.Issuer)]
    [InlineData(FakeTokenFault.Expired)]
    public async Task AnIdTokenThatDoesNotVerifyGivesTheFailurePageAndNoSession(FakeTokenFault fault)
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0ADMIN");
        slack.Fault = fault;

        using var landed = await OidcFlow.SignInAsync(browser);

        await AssertFailurePageAsync(browser, landed, "/signin/slack");
    }

    [Theory]
    [InlineData(Tenant)]
    [InlineData("organizations")]
    public async Task AnEntraTokenOfAnotherIssuerGivesTheFailurePage(string registration)
    {
        await using var entra = await FakeOpenIdProvider.EntraAsync(registration);
        await using var app = new ChatOpsBotApplication(MicrosoftSettings(entra, registration), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        entra.Person = FakeOpenIdProvider.EntraPerson(Tenant, "c0c0c0c0-0000-4000-8000-000000000001");
        entra.Fault = FakeTokenFault.Issuer;

        using var landed = await OidcFlow.SignInAsync(browser, "/signin/microsoft");

        await AssertFailurePageAsync(browser, landed, "/signin/microsoft");
    }

    [Fact]
    public async Task AProviderAnswerForAnotherBrowsersSignInGivesTheFailurePage()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var victim = new ConsoleBrowser(app);
        using var attacker = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0ADMIN");

        // The attacker's own sign-in, its answer delivered to the victim's browser (login CSRF): no correlation.
        var answer = await OidcFlow.ProviderAnswerAsync(await OidcFlow.ToProviderAsync(attacker, "/signin/slack"));
        await OidcFlow.ToProviderAsync(victim, "/signin/slack");
        using var landed = await victim.GetAsync(answer);

        await AssertFailurePageAsync(victim, landed, "/signin/slack");
    }

    [Fact]
    public async Task AnAnswerWithATamperedStateGivesTheFailurePage()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0001");

        var answer = await OidcFlow.ProviderAnswerAsync(await OidcFlow.ToProviderAsync(browser, "/signin/slack"));
        using var landed = await browser.GetAsync(System.Text.RegularExpressions.Regex.Replace(answer, "state=[^&]+", "state=CfDJ8tampered"));

        await AssertFailurePageAsync(browser, landed, "/signin/slack");
    }

    [Fact]
    public async Task APersonWhoDeclinesAtTheProviderGetsTheFailurePage()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Error = "access_denied";

        using var landed = await OidcFlow.SignInAsync(browser);

        var html = await AssertFailurePageAsync(browser, landed, "/signin/slack");
        Assert.Contains("cancelled or declined", html, StringComparison.Ordinal);
        Assert.Empty(slack.TokenRequests);
    }

    private static async Task<string> AssertFailurePageAsync(ConsoleBrowser browser, HttpResponseMessage landed, string tryAgain)
    {
        Assert.True(landed.StatusCode == HttpStatusCode.Redirect, $"{(int)landed.StatusCode} {await landed.Content.ReadAsStringAsync()}");
        Assert.StartsWith("/signin/failed", landed.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.False(OidcFlow.HasSession(browser));
        var html = await browser.GetPageAsync(landed.Headers.Location!.OriginalString);
        Assert.Contains($"id=\"try-again\" href=\"{tryAgain}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("signed-in-as", html, StringComparison.Ordinal);
        return html;
    }

    [Fact]
    public async Task TheRefusedPageShowsNoTextFromItsAddress()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var page = await browser.GetAsync("/signin/refused?why=workspace&id=" + Uri.EscapeDataString("Call +1 555 0100 to restore access"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.DoesNotContain("555", html, StringComparison.Ordinal);
        Assert.Contains("Your workspace or organisation is not one this ChatOpsBot serves.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyTheConfiguredProvidersAreOffered()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        var signIn = await browser.GetPageAsync("/signin");
        var home = await browser.GetPageAsync("/");
        using var microsoft = await browser.GetAsync("/signin/microsoft");

        Assert.Contains("href=\"/signin/slack\"", signIn, StringComparison.Ordinal);
        Assert.DoesNotContain("/signin/microsoft", signIn, StringComparison.Ordinal);
        Assert.Contains("id=\"sign-in-slack\"", home, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"sign-in-microsoft\"", home, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, microsoft.StatusCode);
    }

    [Fact]
    public async Task WithoutProvidersNeitherIsOfferedNorStarted()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        var signIn = await browser.GetPageAsync("/signin");
        using var slack = await browser.GetAsync("/signin/slack");

        Assert.DoesNotContain("/signin/slack", signIn, StringComparison.Ordinal);
        Assert.DoesNotContain("/signin/microsoft", signIn, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, slack.StatusCode);
    }

    [Fact]
    public async Task AProviderOutOfReachGivesTheFailurePageRatherThanAnError()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        var settings = SlackSettings(slack);
        await slack.DisposeAsync();
        await using var app = new ChatOpsBotApplication(settings, servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);

        using var start = await browser.GetAsync("/signin/slack");

        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith("/signin/failed?provider=slack&reason=unreachable", start.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReturnAddressOffThisOriginIsNotFollowed()
    {
        await using var slack = await FakeOpenIdProvider.SlackAsync();
        await using var app = new ChatOpsBotApplication(SlackSettings(slack), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        slack.Person = FakeOpenIdProvider.SlackPerson(Team, "U0001");

        using var landed = await OidcFlow.SignInAsync(browser, "/signin/slack?returnUrl=" + Uri.EscapeDataString("//evil.example/"));

        Assert.Equal("/", landed.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AClientIdWithoutItsSecretStopsTheHostNamingTheKeys()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new()
        {
            ["Web__Slack__ClientId"] = "123.456",
            ["Web__Microsoft__ClientId"] = "7d4c1c5e-0000-4000-8000-000000000001",
            ["Web__Microsoft__ClientSecret"] = "a-secret",
        });

        Assert.Equal(1, exit);
        Assert.StartsWith("ChatOpsBot cannot start:", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("Web:Slack:ClientSecret is required when Web:Slack:ClientId is set.", output, StringComparison.Ordinal);
        Assert.Contains("Web:Microsoft:TenantId is required when Web:Microsoft:ClientId is set", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
