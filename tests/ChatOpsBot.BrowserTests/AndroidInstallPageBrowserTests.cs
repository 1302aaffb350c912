using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Builds.Android;
using ChatOpsBot.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// One real host with an Android-only app (an APK) and an app with an iOS and an Android build in one channel, and
/// Debian's Chromium with axe-core, shared by the tests of <see cref="AndroidInstallPageBrowserTests"/>.
/// </summary>
public sealed class AndroidInstallSite : IAsyncLifetime, IDisposable
{
    public const string AndroidApp = "droid";
    public const string BothApp = "duo";

    private ChatOpsBotApplication? _app;
    private HttpClient? _uploader;
    private IPlaywright? _playwright;

    internal ChatOpsBotApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public IPlaywright Playwright => _playwright ?? throw new InvalidOperationException("Not started.");

    public IBrowser Browser { get; private set; } = null!;

    public byte[] Apk { get; private set; } = [];

    public string AxeSource { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        _uploader = _app.CreateClient(ChatOpsBotApplication.UploaderKey);
        Apk = await TestApks.BuildAsync(new TestApkSpec { Resources = [.. TestApks.PlainIcons()] });
        await UploadAsync(AndroidApp, Apk, "app.apk");
        await UploadAsync(BothApp, new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc())).Build(), "app.ipa");
        await UploadAsync(BothApp, Apk, "app.apk");
        AxeSource = await File.ReadAllTextAsync(AxePath());

        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await DebianChromium.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        Dispose();
    }

    public void Dispose()
    {
        _playwright?.Dispose();
        _playwright = null;
        _uploader?.Dispose();
        _uploader = null;
        _app?.Dispose();
        _app = null;
    }

    private async Task UploadAsync(string app, byte[] bytes, string fileName)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var form = new MultipartFormDataContent { { new StringContent("beta"), "channel" }, { new StringContent(app), "app" }, { file, "file", fileName } };
        using var response = await _uploader!.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A link to the app's newest builds in beta: for both phones where it has an iOS and an Android build.</summary>
    public async Task<(string InstallPageUrl, string[] Platforms)> MintAsync(string app)
    {
        using var response = await _uploader!.PostAsJsonAsync($"/api/v1/apps/{app}/links", new { channel = "beta" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (link.GetProperty("installPageUrl").GetString()!, [.. link.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()!)]);
    }

    private static string AxePath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ChatOpsBot.sln")))
            dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? ".", "tests", "axe", "node_modules", "axe-core", "axe.min.js");
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: run ./test.sh, or npm ci --prefix tests/axe.");
        return path;
    }
}

/// <summary>
/// The install page of an Android-only link and of a link for both phones, in real Chromium as an Android phone, an
/// iPhone, a desktop and Slack's in-app browser on Android: what shows is what fits the device, and axe-core finds no
/// serious or critical violation.
/// </summary>
public sealed class AndroidInstallPageBrowserTests(AndroidInstallSite site) : IClassFixture<AndroidInstallSite>
{
    private const string SlackOnAndroid =
        "Mozilla/5.0 (Linux; Android 14; Pixel 7; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 Slack/24.11.10.0";
    private const string FirefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private BrowserNewContextOptions Device(string device) => device switch
    {
        "desktop" => new BrowserNewContextOptions { UserAgent = FirefoxOnLinux, ViewportSize = new() { Width = 1280, Height = 800 } },
        "slack-android" => Mobile("Pixel 7", SlackOnAndroid),
        "android" => Mobile("Pixel 7"),
        _ => Mobile("iPhone 13"),
    };

    private BrowserNewContextOptions Mobile(string name, string? userAgent = null)
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

    [Theory]
    // An Android-only link: the APK on Android, "this build is for Android" on an iPhone, the QR code on a desktop.
    [InlineData(AndroidInstallSite.AndroidApp, "android", "android", new[] { "#download", "#android-steps", "#play-protect" }, new[] { "#desktop", "#other-device", "#chrome" })]
    [InlineData(AndroidInstallSite.AndroidApp, "iphone", "ios", new[] { "#other-device" }, new[] { "#download", "#desktop" })]
    [InlineData(AndroidInstallSite.AndroidApp, "desktop", "desktop", new[] { "#desktop", "#qr" }, new[] { "#download", "#other-device" })]
    [InlineData(AndroidInstallSite.AndroidApp, "slack-android", "android-in-app", new[] { "#chrome", "#copy-chrome", "#download" }, new[] { "#desktop" })]
    // A link for both phones: the iOS install on an iPhone, the APK on Android, both with the QR code on a desktop.
    [InlineData(AndroidInstallSite.BothApp, "android", "android", new[] { "#download", "#android-steps" }, new[] { "#install", "#desktop", "#other-device", "#safari" })]
    [InlineData(AndroidInstallSite.BothApp, "iphone", "ios", new[] { "#install", "#next-steps" }, new[] { "#download", "#desktop", "#other-device", "#chrome" })]
    [InlineData(AndroidInstallSite.BothApp, "desktop", "desktop", new[] { "#desktop", "#qr", "#both-platforms", "#download-desktop" }, new[] { "#install", "#download" })]
    [InlineData(AndroidInstallSite.BothApp, "slack-android", "android-in-app", new[] { "#chrome", "#copy-chrome", "#download" }, new[] { "#install", "#safari", "#desktop" })]
    public async Task InstallPageShowsWhatFitsTheDeviceAndHasNoSeriousAccessibilityViolations(string app, string device, string client, string[] shown, string[] hidden)
    {
        var (url, platforms) = await site.MintAsync(app);
        Assert.Equal(app == AndroidInstallSite.BothApp ? ["ios", "android"] : ["android"], platforms);
        await using var context = await site.Browser.NewContextAsync(Device(device));
        await context.AddInitScriptAsync(site.AxeSource);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        var response = await page.GotoAsync(url);

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal(client, await page.Locator("body").GetAttributeAsync("data-client"));
        foreach (var selector in shown)
            await Expect(page.Locator(selector)).ToBeVisibleAsync();
        foreach (var selector in hidden)
            await Expect(page.Locator(selector)).ToBeHiddenAsync();
        if (shown.Contains("#download"))
            Assert.Equal(url + "/app.apk", await page.Locator("#download").GetAttributeAsync("href"));
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))
            """);
        Assert.True(violations.GetArrayLength() == 0, string.Join("\n", violations.EnumerateArray().Select(v => v.GetString())));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        await Screenshots.TakeAsync(page, $"android-{app}-{device}");
    }

    [Fact]
    public async Task TheDownloadButtonOfALinkForBothPhonesFetchesTheUploadedApkInChromium()
    {
        var (url, _) = await site.MintAsync(AndroidInstallSite.BothApp);
        await using var context = await site.Browser.NewContextAsync(Device("android"));
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download").ClickAsync());
        var path = await download.PathAsync();

        Assert.Equal("duo-1.2.3.apk", download.SuggestedFilename);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(site.Apk)),
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path))));
    }
}
