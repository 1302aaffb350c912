using System.Text.RegularExpressions;
using ChatOpsBot.Features.Web;
using ChatOpsBot.Tests;
using ChatOpsBot.Tests.Web;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// Getting into the console in real Chromium: signing in through a loopback OpenID Connect provider that behaves like
/// Slack's and like Entra's, a state tampered with on the way, and the first run from the set-up address in the log.
/// Each test runs its own host; the browser is <see cref="ConsoleSite"/>'s.
/// </summary>
public sealed partial class ConsoleSignInBrowserTests(ConsoleSite site) : IClassFixture<ConsoleSite>
{
    private const string Team = "T0001";
    private const string Tenant = "6a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d";

    private static readonly BrowserNewContextOptions Desktop = new() { ViewportSize = new() { Width = 1280, Height = 800 } };

    private static Dictionary<string, string?> Slack(FakeOpenIdProvider slack) => new()
    {
        ["Web:Slack:ClientId"] = FakeOpenIdProvider.ClientId,
        ["Web:Slack:ClientSecret"] = FakeOpenIdProvider.ClientSecret,
        ["Web:Slack:Authority"] = slack.Authority,
        ["Slack:AllowedTeamIds:0"] = Team,
        ["Slack:ReleaseManagers:0"] = "U0RM",
    };

    private static Dictionary<string, string?> Microsoft(FakeOpenIdProvider entra) => new()
    {
        ["Web:Microsoft:ClientId"] = FakeOpenIdProvider.ClientId,
        ["Web:Microsoft:ClientSecret"] = FakeOpenIdProvider.ClientSecret,
        ["Web:Microsoft:TenantId"] = Tenant,
        ["Web:Microsoft:Authority"] = entra.Authority,
    };

    private static async Task<bool> HasSessionAsync(IBrowserContext context) =>
        (await context.CookiesAsync()).Any(c => c.Name == ConsoleAuthentication.CookieName);

    [Theory]
    [InlineData("slack")]
    [InlineData("microsoft")]
    public async Task PersonClicksSignInGoesThroughTheProviderAndComesBackSignedIn(string provider)
    {
        await using var idp = provider == "slack" ? await FakeOpenIdProvider.SlackAsync() : await FakeOpenIdProvider.EntraAsync(Tenant);
        idp.Person = provider == "slack" ? FakeOpenIdProvider.SlackPerson(Team, "U0RM") : FakeOpenIdProvider.EntraPerson(Tenant, "c0c0c0c0-0000-4000-8000-000000000001");
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(provider == "slack" ? Slack(idp) : Microsoft(idp)), servePublicBaseUrl: true);
        using var started = app.CreateLoopbackClient();
        await using var context = await site.Browser.NewContextAsync(Desktop);
        var page = await context.NewPageAsync();
        var visited = new List<string>();
        page.Request += (_, request) => { if (request.IsNavigationRequest) visited.Add(request.Url); };

        await page.GotoAsync(app.PublicBaseUrl + "/");
        await page.ClickAsync($"#sign-in-{provider}");
        await page.WaitForURLAsync(app.PublicBaseUrl + "/");

        var name = provider == "slack" ? "Ada Lovelace" : "Grace Hopper";
        await Expect(page.Locator("#signed-in-as")).ToHaveTextAsync(name);
        Assert.True(await HasSessionAsync(context));
        Assert.Contains(visited, u => u.StartsWith(idp.Authority + "/authorize?", StringComparison.Ordinal));
        Assert.Contains(visited, u => u.StartsWith($"{app.PublicBaseUrl}/signin-{provider}?", StringComparison.Ordinal));
        var authorize = Assert.Single(idp.AuthorizeRequests);
        Assert.False(string.IsNullOrEmpty(authorize["state"]));
        Assert.False(string.IsNullOrEmpty(authorize["nonce"]));
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.Empty(idp.TokenRefusals);
        await Screenshots.TakeAsync(page, $"console-flow-signed-in-{provider}");
    }

    [Theory]
    [InlineData("slack", "state")]
    [InlineData("microsoft", "state")]
    [InlineData("slack", "nonce")]
    [InlineData("microsoft", "nonce")]
    public async Task AStateOrNonceTamperedWithOnTheWayIsRefusedWithAFriendlyPageAndNoSession(string provider, string parameter)
    {
        await using var idp = provider == "slack" ? await FakeOpenIdProvider.SlackAsync() : await FakeOpenIdProvider.EntraAsync(Tenant);
        idp.Person = provider == "slack" ? FakeOpenIdProvider.SlackPerson(Team, "U0RM") : FakeOpenIdProvider.EntraPerson(Tenant, "c0c0c0c0-0000-4000-8000-000000000001");
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(provider == "slack" ? Slack(idp) : Microsoft(idp)), servePublicBaseUrl: true);
        using var started = app.CreateLoopbackClient();
        await using var context = await site.Browser.NewContextAsync(Desktop);
        // The state or nonce the host sends is changed by one character on its way to the provider, so it comes back
        // changed (the state in the redirect, the nonce inside the signed ID token).
        // Chromium's routing sees only the first request of a redirect chain: the host's redirect is taken and rewritten.
        await context.RouteAsync(new Regex($"/signin/{provider}$"), async route =>
        {
            var answer = await route.FetchAsync(new() { MaxRedirects = 0 });
            var headers = answer.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
            var location = new Uri(headers["location"]);
            var value = global::Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query)[parameter].ToString();
            // The first character, not the last: the last of a base64url value may carry only padding bits, so
            // changing it ('A' to 'B') can leave the decoded state the same, and the sign-in then succeeds.
            var tampered = (value[0] == 'A' ? 'B' : 'A') + value[1..];
            headers["location"] = location.AbsoluteUri.Replace($"{parameter}={Uri.EscapeDataString(value)}", $"{parameter}={Uri.EscapeDataString(tampered)}", StringComparison.Ordinal);
            Assert.NotEqual(location.AbsoluteUri, headers["location"]);
            await route.FulfillAsync(new() { Status = answer.Status, Headers = headers });
        });
        var page = await context.NewPageAsync();

        await page.GotoAsync(app.PublicBaseUrl + "/");
        await page.ClickAsync($"#sign-in-{provider}");
        await page.WaitForURLAsync(new Regex("/signin/failed"), new() { Timeout = 15_000 });

        await Expect(page.Locator("h1")).ToHaveTextAsync("Sign-in did not work");
        await Expect(page.Locator("#sign-in-failed")).ToBeVisibleAsync();
        Assert.False(await HasSessionAsync(context));
        // A changed state is refused before the code is redeemed; a changed nonce once the ID token carrying it is read.
        Assert.Equal(parameter == "state" ? 0 : 1, idp.TokenRequests.Count);
        await Expect(page.Locator("#signed-in-as")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task OperatorOpensTheSetUpAddressFromTheLogCreatesTheFirstKeySeesItOnceAndAddsASampleBuild()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var started = app.CreateLoopbackClient();
        // As an operator reads it: the one log line that names the address.
        var line = Assert.Single(app.Logs, l => l.Contains("/setup/", StringComparison.Ordinal));
        var address = SetupAddress().Match(line).Groups[1].Value;
        Assert.StartsWith(app.PublicBaseUrl + "/setup/", address, StringComparison.Ordinal);
        await using var context = await site.Browser.NewContextAsync(Desktop);
        var page = await context.NewPageAsync();

        await page.GotoAsync(address);
        await page.ClickAsync("#setup-start");
        await page.WaitForURLAsync(app.PublicBaseUrl + "/setup");
        await page.FillAsync("#key-name", "ci");
        await page.SelectOptionAsync("#key-role", "Uploader");
        await page.ClickAsync("#key-create");

        var key = (await page.Locator("#new-key").InnerTextAsync()).Trim();
        Assert.False(string.IsNullOrEmpty(key));
        using (var api = app.CreateClient(key))
            Assert.Equal(System.Net.HttpStatusCode.OK, (await api.GetAsync("/api/v1/apps")).StatusCode);
        await page.GotoAsync(app.PublicBaseUrl + "/setup");
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);

        await page.ClickAsync("#sample-add");
        await Expect(page.Locator("#sample-added")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "console-flow-setup-sample");
        var install = await page.Locator("#sample-install").GetAttributeAsync("href");
        Assert.StartsWith(app.PublicBaseUrl + "/i/", install, StringComparison.Ordinal);
        await page.GotoAsync(app.PublicBaseUrl + "/apps/sample");
        await Expect(page.Locator("main")).ToContainTextAsync("beta");
    }

    [GeneratedRegex(@"open (\S+/setup/\S+) to set ChatOpsBot up")]
    private static partial Regex SetupAddress();
}
