using System.Net;
using static Microsoft.Playwright.Assertions;

namespace ChatOpsBot.BrowserTests;

public sealed class UnavailableLinkBrowserTests(InstallSite site) : IClassFixture<InstallSite>
{
    private async Task AssertUnavailableAsync(string url, int status, string reason, string screenshot)
    {
        await using var session = await site.OpenAsync(site.Playwright.Devices["iPhone 13"]);
        var page = session.Page;

        var response = await page.GotoAsync(url);

        Assert.Equal(status, response!.Status);
        Assert.Equal(0, await page.Locator("#install").CountAsync());
        Assert.DoesNotContain("itms-services", await page.ContentAsync(), StringComparison.Ordinal);
        await Expect(page.Locator("#reason")).ToBeVisibleAsync();
        await Expect(page.Locator("#reason h2")).ToHaveTextAsync(reason);
        await Expect(page.Locator("#new-link")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, screenshot);
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    [Fact]
    public async Task ExpiredLinkAnswersGoneWithTheReasonAndTheCommandsForANewLinkButNothingAboutTheBuild()
    {
        var link = await site.MintAsync();
        site.App.Clock.Advance(TimeSpan.FromMinutes(61));

        await AssertUnavailableAsync(link.InstallPageUrl, (int)HttpStatusCode.Gone, "This install link has expired", "link-expired");

        await using var session = await site.OpenAsync(site.Playwright.Devices["iPhone 13"]);
        await session.Page.GotoAsync(link.InstallPageUrl);
        await Expect(session.Page.Locator("#slack-command")).ToHaveTextAsync("/install <app> <channel>");
        await Expect(session.Page.Locator("#teams-command")).ToHaveTextAsync("install <app> <channel>");
        var text = await session.Page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain(InstallSite.AppName, text, StringComparison.Ordinal);
        Assert.DoesNotContain(InstallSite.RequestedFor, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Fixes the login crash", text, StringComparison.Ordinal);
        Assert.Equal(0, await session.Page.Locator("img").CountAsync());
    }

    [Fact]
    public async Task RevokedLinkAnswersGoneWithTheReason()
    {
        var link = await site.MintAsync();
        await site.RevokeLinkAsync(link.Id);

        await AssertUnavailableAsync(link.InstallPageUrl, (int)HttpStatusCode.Gone, "This install link was revoked", "link-revoked");
    }

    [Fact]
    public async Task UnknownTokenAnswersNotFoundWithHowToGetALink()
    {
        var url = site.App.PublicBaseUrl + "/i/AAAAAAAAAAAAAAAAAAAAAA";

        await AssertUnavailableAsync(url, (int)HttpStatusCode.NotFound, "This install link does not exist", "link-not-found");
    }
}
