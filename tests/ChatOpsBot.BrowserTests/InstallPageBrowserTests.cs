using System.Diagnostics;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatOpsBot.BrowserTests;

public sealed class InstallPageBrowserTests(InstallSite site) : IClassFixture<InstallSite>
{
    private const string ItmsPrefix = "itms-services://?action=download-manifest&url=";

    public const string MacSafari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    public const string SlackIos = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Slack/24.06.10.0";
    public const string TeamsIos = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TeamsMobile-iOS";
    public const string ChromeIos = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1";

    private BrowserNewContextOptions Device(string name, string? userAgent = null)
    {
        var device = site.Playwright.Devices[name];
        return new BrowserNewContextOptions
        {
            UserAgent = userAgent ?? device.UserAgent,
            ViewportSize = device.ViewportSize,
            ScreenSize = device.ScreenSize,
            DeviceScaleFactor = device.DeviceScaleFactor,
            IsMobile = device.IsMobile,
            HasTouch = device.HasTouch,
        };
    }

    private async Task<(BrowserSession Session, MintedLink Link)> OpenAsync(BrowserNewContextOptions device, bool clock = false, string? initScript = null)
    {
        var link = await site.MintAsync();
        var session = await site.OpenAsync(device);
        if (initScript is not null)
            await session.Page.Context.AddInitScriptAsync(initScript);
        // The page's clock starts at the server's fake time and stands still from the first test step on, so
        // the three-second fallback delay is crossed by moving the clock, never by waiting.
        var now = site.App.Clock.GetUtcNow().UtcDateTime;
        if (clock)
            await session.Page.Clock.InstallAsync(new() { TimeDate = now });
        var response = await session.Page.GotoAsync(link.InstallPageUrl);
        if (clock)
            await session.Page.Clock.PauseAtAsync(now.AddMinutes(5));
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.StartsWith("default-src 'none';", await response.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);
        return (session, link);
    }

    private static async Task AssertInstallLinkAsync(IPage page, MintedLink link)
    {
        var install = page.Locator("#install");
        await Expect(install).ToBeVisibleAsync();
        var href = await install.GetAttributeAsync("href");
        Assert.NotNull(href);
        Assert.StartsWith(ItmsPrefix, href, StringComparison.Ordinal);
        Assert.Equal(link.ManifestUrl, Uri.UnescapeDataString(href[ItmsPrefix.Length..]));
        Assert.Equal(link.ItmsServicesUrl, href);
    }

    private static async Task AssertCommonContentAsync(IPage page)
    {
        await Expect(page.Locator("#app-name")).ToHaveTextAsync(InstallSite.AppName);
        await Expect(page.Locator("#version")).ToContainTextAsync("Version 1.4.2 (build 187)");
        await Expect(page.Locator("#channel")).ToHaveTextAsync(InstallSite.Channel);
        await Expect(page.Locator("#requested-by")).ToHaveTextAsync(InstallSite.RequestedFor);
        Assert.Equal(InstallSite.Notes, await page.Locator("#notes").InnerTextAsync());
        Assert.True(await page.Locator("#icon").EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 180"));
    }

    [Fact]
    public async Task IphoneSafariShowsALargeInstallButtonWhoseLinkDecodesToTheManifestUrl()
    {
        var (session, link) = await OpenAsync(Device("iPhone 13"));
        await using var _ = session;
        var page = session.Page;

        await AssertInstallLinkAsync(page, link);
        Assert.Equal("ios", await page.Locator("body").GetAttributeAsync("data-client"));
        var button = await page.Locator("#install").BoundingBoxAsync();
        Assert.NotNull(button);
        Assert.True(button.Height >= 44 && button.Width >= 300, $"{button.Width}x{button.Height}");
        await Expect(page.Locator("#next-steps")).ToContainTextAsync("home screen");
        await Expect(page.Locator("#devices")).ToContainTextAsync("ad-hoc build");
        await Expect(page.Locator("#safari")).ToBeHiddenAsync();
        await Expect(page.Locator("#desktop")).ToBeHiddenAsync();
        await Expect(page.Locator("#other-device")).ToBeHiddenAsync();
        await AssertCommonContentAsync(page);
        await Screenshots.TakeAsync(page, "iphone-safari");
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    [Fact]
    public async Task IpadSafariShowsTheInstallButton()
    {
        var (session, link) = await OpenAsync(Device("iPad (gen 7)"));
        await using var _ = session;

        await AssertInstallLinkAsync(session.Page, link);
        await Expect(session.Page.Locator("#desktop")).ToBeHiddenAsync();
        await Screenshots.TakeAsync(session.Page, "ipad-safari");
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    // Chromium cannot report a Mac platform with five touch points by itself; these are the values an iPad in
    // desktop mode reports to the page.
    private const string IpadDesktopModeScript = """
        Object.defineProperty(Navigator.prototype, 'platform', { get: function () { return 'MacIntel'; } });
        Object.defineProperty(Navigator.prototype, 'maxTouchPoints', { get: function () { return 5; } });
        """;

    private static BrowserNewContextOptions IpadDesktopMode(bool touch = true) => new()
    {
        UserAgent = MacSafari,
        ViewportSize = new() { Width = 810, Height = 1080 },
        DeviceScaleFactor = 2,
        HasTouch = touch,
    };

    [Fact]
    public async Task IpadInDesktopWebsiteModeIsTreatedAsAnIpad()
    {
        var (session, link) = await OpenAsync(IpadDesktopMode(), initScript: IpadDesktopModeScript);
        await using var _ = session;
        var page = session.Page;

        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-client", "ios");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-detected", "ipad-desktop-mode");
        await AssertInstallLinkAsync(page, link);
        await Expect(page.Locator("#desktop")).ToBeHiddenAsync();
        await Screenshots.TakeAsync(page, "ipad-desktop-mode");
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    [Fact]
    public async Task MacSafariWithoutTouchStaysOnTheDesktopView()
    {
        var (session, _) = await OpenAsync(IpadDesktopMode(touch: false), initScript: """
            Object.defineProperty(Navigator.prototype, 'platform', { get: function () { return 'MacIntel'; } });
            Object.defineProperty(Navigator.prototype, 'maxTouchPoints', { get: function () { return 0; } });
            """);
        await using var __ = session;

        await Expect(session.Page.Locator("#qr")).ToBeVisibleAsync();
        await Expect(session.Page.Locator("#install")).ToBeHiddenAsync();
        Assert.Equal("desktop", await session.Page.Locator("body").GetAttributeAsync("data-client"));
    }

    public static TheoryData<string, string> InAppBrowsers => new()
    {
        { "slack-ios", SlackIos },
        { "teams-ios", TeamsIos },
        { "chrome-ios", ChromeIos },
    };

    [Theory]
    [MemberData(nameof(InAppBrowsers))]
    public async Task InAppBrowsersShowOpenInSafariStepsFirstAndCopyTheLink(string name, string userAgent)
    {
        var (session, link) = await OpenAsync(Device("iPhone 13", userAgent));
        await using var _ = session;
        var page = session.Page;

        Assert.Equal("in-app", await page.Locator("body").GetAttributeAsync("data-client"));
        await Expect(page.Locator("#safari")).ToBeVisibleAsync();
        await Expect(page.Locator("#safari")).ToContainTextAsync("If the button doesn't work, open Safari and paste this address:");
        await Expect(page.Locator("#url-safari")).ToHaveValueAsync(link.InstallPageUrl);
        var steps = await page.Locator("#safari").BoundingBoxAsync();
        var install = await page.Locator("#install").BoundingBoxAsync();
        Assert.True(steps!.Y < install!.Y, "The Safari steps come before the Install button.");
        await AssertInstallLinkAsync(page, link);

        await page.Locator("#copy-safari").ClickAsync();

        await Expect(page.Locator("#safari .status")).ToContainTextAsync("Link copied");
        Assert.Equal(link.InstallPageUrl, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await Screenshots.TakeAsync(page, "in-app-" + name);
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    [Fact]
    public async Task CopyLinkSelectsTheAddressWhenTheClipboardRefuses()
    {
        var (session, link) = await OpenAsync(Device("iPhone 13", SlackIos), initScript: """
            Object.defineProperty(Navigator.prototype, 'clipboard', { get: function () {
              return { writeText: function () { return Promise.reject(new Error('denied')); } };
            } });
            """);
        await using var _ = session;
        var page = session.Page;

        await page.Locator("#copy-safari").ClickAsync();

        await Expect(page.Locator("#safari .status")).Not.ToBeEmptyAsync();
        var selected = await page.EvaluateAsync<string>("() => { var u = document.getElementById('url-safari'); return document.activeElement === u ? u.value.substring(u.selectionStart, u.selectionEnd) : ''; }");
        Assert.Equal(link.InstallPageUrl, selected);
    }

    [Fact]
    public async Task InstallTapThatLeavesThePageInViewRevealsTheSafariFallbackAfterThreeSeconds()
    {
        // Slack's SFSafariViewController sends Safari's user agent, so only the tap's outcome can tell.
        var (session, link) = await OpenAsync(Device("iPhone 13"), clock: true);
        await using var _ = session;
        var page = session.Page;
        await Expect(page.Locator("#safari")).ToBeHiddenAsync();

        await page.Locator("#install").TapAsync();
        await page.Clock.RunForAsync(2_999);
        await Expect(page.Locator("#safari")).ToBeHiddenAsync();
        await page.Clock.RunForAsync(1);

        Assert.Equal([link.ItmsServicesUrl], await page.EvaluateAsync<string[]>("() => window.__installTaps"));
        await Expect(page.Locator("#safari")).ToBeVisibleAsync();
        await Expect(page.Locator("#fallback-note")).ToBeVisibleAsync();
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-fallback", "shown");
        await Expect(page.Locator("#url-safari")).ToHaveValueAsync(link.InstallPageUrl);
        await Screenshots.TakeAsync(page, "iphone-safari-after-tap-fallback");
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    [Fact]
    public async Task InstallTapThatTakesThePageOutOfViewShowsNoFallback()
    {
        var (session, _) = await OpenAsync(Device("iPhone 13"), clock: true);
        await using var __ = session;
        var page = session.Page;

        await page.Locator("#install").TapAsync();
        // What iOS does when it takes over for the installer: the page is no longer visible.
        await page.EvaluateAsync("""
            () => {
              Object.defineProperty(document, 'visibilityState', { configurable: true, get: function () { return 'hidden'; } });
              document.dispatchEvent(new Event('visibilitychange'));
            }
            """);
        await page.Clock.RunForAsync(10_000);

        Assert.Null(await page.Locator("body").GetAttributeAsync("data-fallback"));
        await Expect(page.Locator("#safari")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task SafariStepsAreReachableWithoutJavaScript()
    {
        var link = await site.MintAsync();
        var device = Device("iPhone 13");
        device.JavaScriptEnabled = false;
        await using var session = await site.OpenAsync(device, clipboard: false);
        var page = session.Page;
        await page.GotoAsync(link.InstallPageUrl);

        await AssertInstallLinkAsync(page, link);
        await Expect(page.Locator(".copy").First).ToBeHiddenAsync();
        await page.Locator(".hint a").ClickAsync();

        await Expect(page.Locator("#safari")).ToBeVisibleAsync();
        await Expect(page.Locator("#url-safari")).ToHaveValueAsync(link.InstallPageUrl);
    }

    [Theory]
    [InlineData("Desktop Chrome", "desktop-chrome")]
    [InlineData("Desktop Firefox", "desktop-firefox")]
    [InlineData("Desktop Safari", "desktop-safari")]
    public async Task DesktopBrowsersShowAQrCodeThatDecodesToTheInstallPage(string deviceName, string name)
    {
        var (session, link) = await OpenAsync(Device(deviceName));
        await using var _ = session;
        var page = session.Page;

        Assert.Equal("desktop", await page.Locator("body").GetAttributeAsync("data-client"));
        await Expect(page.Locator("#install")).ToBeHiddenAsync();
        var qr = page.Locator("#qr");
        await Expect(qr).ToBeVisibleAsync();
        Assert.True(await qr.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"));
        Assert.Equal(link.QrCodeUrl, await qr.EvaluateAsync<string>("img => img.src"));
        await Expect(page.Locator("#url-desktop")).ToHaveValueAsync(link.InstallPageUrl);
        await AssertCommonContentAsync(page);
        await Screenshots.TakeAsync(page, name);
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));

        Assert.Equal(link.InstallPageUrl, await DecodeQrAsync(await site.GetBytesAsync(link.QrCodeUrl)));
    }

    [Fact]
    public async Task AndroidSaysTheBuildIsForIphoneAndIpad()
    {
        var (session, link) = await OpenAsync(Device("Pixel 7"));
        await using var _ = session;
        var page = session.Page;

        Assert.Equal("android", await page.Locator("body").GetAttributeAsync("data-client"));
        await Expect(page.Locator("#other-device")).ToBeVisibleAsync();
        await Expect(page.Locator("#other-device h2")).ToHaveTextAsync("This build is for iPhone and iPad");
        await Expect(page.Locator("#install")).ToBeHiddenAsync();
        await Expect(page.Locator("#url-other")).ToHaveValueAsync(link.InstallPageUrl);
        await Screenshots.TakeAsync(page, "android");
        Assert.True(session.Errors.Count == 0, string.Join("\n", session.Errors));
    }

    private static async Task<string> DecodeQrAsync(byte[] png)
    {
        var file = Path.Combine(Screenshots.Directory, $"qr-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, png);
        try
        {
            using var zbar = Process.Start(new ProcessStartInfo("zbarimg", ["--raw", "-q", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await zbar.StandardOutput.ReadToEndAsync();
            await zbar.WaitForExitAsync();
            Assert.True(zbar.ExitCode == 0, $"zbarimg exited {zbar.ExitCode}: {await zbar.StandardError.ReadToEndAsync()}");
            return output.TrimEnd('\n');
        }
        finally
        {
            File.Delete(file);
        }
    }
}
