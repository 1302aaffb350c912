using System.Net;
using System.Text.RegularExpressions;
using ChatOpsBot.Features.Web;

namespace ChatOpsBot.Tests.Web;

public sealed partial class ConsoleAppsTests
{
    [Fact]
    public async Task AppsPageListsEachChannelsNewestBuildWithItsProfileAndDevices()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        await app.UploadDemoAsync();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var older = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(now.AddDays(100)), channel: "beta");
        var newest = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(now.AddDays(101)), channel: "beta");
        var nightly = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(now.AddDays(102)), channel: "nightly");
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        var html = await browser.GetPageAsync("/apps");

        Assert.Contains("id=\"app-demo\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/builds/{newest}\"", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/builds/{nightly}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/builds/{older}\"", html, StringComparison.Ordinal);
        var beta = Row().Match(html[html.IndexOf("<tr id=\"channel-demo-beta\"", StringComparison.Ordinal)..]).Value;
        Assert.Contains("(3 active)", beta, StringComparison.Ordinal);
        Assert.Contains("1.4.2 (187)", beta, StringComparison.Ordinal);
        Assert.Contains("2026-11-23 09:00 UTC", beta, StringComparison.Ordinal);
        Assert.Contains("Ad Hoc", beta, StringComparison.Ordinal);
        Assert.Contains("3 devices", beta, StringComparison.Ordinal);
        Assert.Contains("href=\"/apps/demo\"", html, StringComparison.Ordinal);
        var builds = await browser.GetPageAsync("/apps/demo");
        Assert.Contains($"href=\"/builds/{older}\"", builds, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfileExpiryWarnsUnderFourteenDaysAndSaysExpiredOnceItIsPast()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var expires = app.Clock.GetUtcNow().UtcDateTime.AddDays(15);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(expires));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        Assert.Equal("<span class=\"ok\" id=\"expiry-" + id + "\">expires 2026-12-08</span>", Expiry(await browser.GetPageAsync("/apps"), id));

        app.Clock.Advance(TimeSpan.FromDays(2));
        browser.SignInAs(ConsoleBrowser.SlackPerson());
        Assert.Equal("<span class=\"warn\" id=\"expiry-" + id + "\">expires 2026-12-08 (in 13 days)</span>", Expiry(await browser.GetPageAsync("/apps"), id));

        app.Clock.Advance(TimeSpan.FromDays(13) - TimeSpan.FromSeconds(1));
        browser.SignInAs(ConsoleBrowser.SlackPerson());
        Assert.Contains("class=\"warn\"", Expiry(await browser.GetPageAsync("/apps"), id), StringComparison.Ordinal);

        app.Clock.Advance(TimeSpan.FromSeconds(1));
        browser.SignInAs(ConsoleBrowser.SlackPerson());
        Assert.Equal("<span class=\"bad\" id=\"expiry-" + id + "\">expired 2026-12-08</span>", Expiry(await browser.GetPageAsync("/apps"), id));
        Assert.Contains("id=\"profile-expiry\">expired 2026-12-08<", await browser.GetPageAsync($"/builds/{id}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppsPageWithoutBuildsSaysHowToUploadAndOffersAdminsTheSetUpPage()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var member = new ConsoleBrowser(app);
        member.SignInAs(ConsoleBrowser.SlackPerson());
        using var admin = new ConsoleBrowser(app);
        admin.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.Admin, userId: "U0002", name: "Grace"));

        var forMember = await member.GetPageAsync("/apps");
        var forAdmin = await admin.GetPageAsync("/apps");

        Assert.Contains("id=\"apps-empty\"", forMember, StringComparison.Ordinal);
        Assert.Contains("/api/v1/builds", forMember, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/setup\"", forMember, StringComparison.Ordinal);
        Assert.Contains("href=\"/setup\"", forAdmin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownAppGetsAFriendlyNotFoundPage()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        using var response = await browser.GetAsync("/apps/no-such-app");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("There is no app &#x27;no-such-app&#x27;", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnonymousVisitorIsSentToSignInInsteadOfSeeingApps()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        await app.UploadDemoAsync();
        using var browser = new ConsoleBrowser(app);

        foreach (var path in new[] { "/apps", "/apps/demo", "/builds/1", "/upload" })
        {
            using var response = await browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/signin?returnUrl=", response.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        }
    }

    private static string Expiry(string html, long id) => Regex.Match(html, $"<span class=\"[a-z]+\" id=\"expiry-{id}\">[^<]*</span>").Value;

    [GeneratedRegex("<tr[^>]*>.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex Row();
}
