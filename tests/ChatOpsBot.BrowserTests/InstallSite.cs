using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Tests;
using Microsoft.Playwright;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// One Debian Chromium and one real host serving its own public base URL on loopback, with one uploaded build,
/// shared by the tests of a class. Each test mints its own link and opens it in its own browser context.
/// </summary>
public sealed class InstallSite : IAsyncLifetime, IDisposable
{
    public const string AppSlug = "tom";
    public const string Channel = "beta";
    public const string AppName = "Tom & Jerry <beta>";
    public const string Notes = "Fixes the login crash.\nNew: <b>dark</b> mode & more.\n\n  Indented line";
    public const string RequestedFor = "Zoë Ångström";

    private ChatOpsBotApplication? _app;
    private HttpClient? _uploader;
    private IPlaywright? _playwright;

    internal ChatOpsBotApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public IPlaywright Playwright => _playwright ?? throw new InvalidOperationException("Not started.");

    public IBrowser Browser { get; private set; } = null!;

    public long BuildId { get; private set; }

    public async Task InitializeAsync()
    {
        _app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        _uploader = _app.CreateClient(ChatOpsBotApplication.UploaderKey);
        BuildId = await UploadAsync();

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

    private async Task<long> UploadAsync()
    {
        var builder = new TestIpaBuilder()
            .WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()))
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)))
            .WithAppFile("AppIcon60x60@3x.png", TestPng.EncodeCrushed(RgbaImage.Sample(180, 180)));
        builder.Info["CFBundleDisplayName"] = AppName;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(Channel), "channel" },
            { new StringContent(AppSlug), "app" },
            { new StringContent(Notes), "notes" },
        };
        var file = new ByteArrayContent(builder.Build());
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "Tom.ipa");
        using var response = await _uploader!.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    /// <summary>Mints a link through the public API, as a script or the bot would.</summary>
    public async Task<MintedLink> MintAsync()
    {
        using var response = await _uploader!.PostAsJsonAsync($"/api/v1/apps/{AppSlug}/links", new { channel = Channel, requestedFor = RequestedFor });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new MintedLink(
            link.GetProperty("id").GetInt64(),
            link.GetProperty("installPageUrl").GetString()!,
            link.GetProperty("manifestUrl").GetString()!,
            link.GetProperty("itmsServicesUrl").GetString()!,
            link.GetProperty("qrCodeUrl").GetString()!);
    }

    public async Task RevokeLinkAsync(long id)
    {
        using var releaseManager = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var response = await releaseManager.DeleteAsync($"/api/v1/links/{id}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public async Task<byte[]> GetBytesAsync(string url)
    {
        using var client = App.CreateLoopbackClient();
        return await client.GetByteArrayAsync(new Uri(url));
    }

    /// <summary>A fresh context: the device's user agent, screen, touch and clipboard, and a record of page errors.</summary>
    public async Task<BrowserSession> OpenAsync(BrowserNewContextOptions device, bool clipboard = true)
    {
        var context = await Browser.NewContextAsync(device);
        if (clipboard)
            await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = App.PublicBaseUrl });
        // iOS hands itms-services links to the installer; Chromium cannot, so the test stops the navigation
        // and records the tap instead. The page's own click handler still runs.
        await context.AddInitScriptAsync("""
            window.__installTaps = [];
            document.addEventListener('click', function (e) {
              var a = e.target instanceof Element ? e.target.closest('a[href^="itms-services:"]') : null;
              if (a) { window.__installTaps.push(a.href); e.preventDefault(); }
            }, true);
            """);
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page);
        page.Console += (_, message) =>
        {
            // Chromium reports the page's own 404 or 410 status, and a missing favicon, as failed loads.
            var expected = message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(message.Location, @"/(i/[^/]+|favicon\.ico):\d+:\d+$");
            if (message.Type == "error" && !expected)
                session.Errors.Add($"{message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => session.Errors.Add(error);
        return session;
    }
}

public sealed record MintedLink(long Id, string InstallPageUrl, string ManifestUrl, string ItmsServicesUrl, string QrCodeUrl);

public sealed class BrowserSession(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    public List<string> Errors { get; } = [];

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}
