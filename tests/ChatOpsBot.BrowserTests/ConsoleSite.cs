using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Web;
using ChatOpsBot.Tests;
using ChatOpsBot.Tests.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// A console page the browser tests check, and who opens it. <see cref="Act"/>, when set, is what the person does on
/// the page before it is checked (Try a command types a command and runs it).
/// </summary>
public sealed record ConsolePage(string Name, string Path, string? Role, Func<IPage, Task>? Act = null)
{
    public override string ToString() => Name;
}

/// <summary>
/// One Debian Chromium and one real host with something on every page: the demo build, a Slack and a Teams
/// subscription, and an announcement with one delivery delivered and one failed. People sign in with a session
/// cookie sealed by the host's own keys (<see cref="ConsoleBrowser.SignInAs"/>), so the pages are tested, not sign-in.
/// </summary>
public sealed class ConsoleSite : IAsyncLifetime, IDisposable
{
    private ChatOpsBotApplication? _app;
    private IPlaywright? _playwright;

    internal ChatOpsBotApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public IBrowser Browser { get; private set; } = null!;

    public long AnnouncementId { get; private set; }

    /// <summary>The demo build (app demo, channel beta).</summary>
    public long BuildId { get; private set; }

    /// <summary>axe-core as tests/axe/package-lock.json pins it, installed by ./test.sh (<c>npm ci --prefix tests/axe</c>).</summary>
    public string AxeSource { get; private set; } = "";

    public async Task InitializeAsync()
    {
        AxeSource = await File.ReadAllTextAsync(AxePath());
        _app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        await _app.UploadDemoAsync();
        AnnouncementId = await SeedAnnouncementAsync();

        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await DebianChromium.LaunchAsync(_playwright);
    }

    private async Task<long> SeedAnnouncementAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var build = await db.Builds.SingleAsync();
        BuildId = build.Id;
        var now = App.Clock.GetUtcNow().UtcDateTime;
        db.Subscriptions.Add(new Subscription
        {
            AppId = build.AppId, Channel = build.Channel, Platform = "slack", Workspace = "T0001", ConversationId = "C0RELEASES",
            ConversationName = "releases", CreatedBy = "Ada (slack U0001)", CreatedAt = now,
        });
        db.Subscriptions.Add(new Subscription
        {
            AppId = build.AppId, Channel = build.Channel, Platform = "teams", Workspace = "tenant", ConversationId = "19:qa@thread.tacv2",
            ServiceUrl = "https://smba.trafficmanager.net/emea/", ConversationName = "QA", CreatedBy = "Grace (teams 00000000-0000-0000-0000-000000000001)", CreatedAt = now,
        });
        var announcement = db.Announcements.Add(new Announcement { BuildId = build.Id, AnnouncedBy = "Ada (slack)", CreatedAt = now }).Entity;
        db.AnnouncementDeliveries.Add(new AnnouncementDelivery
        {
            Announcement = announcement, Platform = "slack", Workspace = "T0001", ConversationId = "C0RELEASES", ConversationName = "releases",
            State = DeliveryState.Delivered, Attempts = 1, NextAttemptAt = now, DeliveredAt = now, MessageId = "1795424400.000100",
        });
        db.AnnouncementDeliveries.Add(new AnnouncementDelivery
        {
            Announcement = announcement, Platform = "slack", Workspace = "T0001", ConversationId = "C0ARCHIVED",
            State = DeliveryState.Failed, Attempts = 1, NextAttemptAt = now, LastError = "is_archived",
        });
        await db.SaveChangesAsync();
        return announcement.Id;
    }

    /// <summary>A context signed in as a Slack person of the role (anonymous for null), light or dark.</summary>
    public async Task<IBrowserContext> ContextAsync(BrowserNewContextOptions device, string? role)
    {
        var context = await Browser.NewContextAsync(device);
        if (role is not null)
        {
            using var browser = new ConsoleBrowser(App);
            browser.SignInAs(ConsoleBrowser.SlackPerson(Enum.Parse<ConsoleRole>(role), name: "Ada " + role));
            var cookie = browser.Cookies.GetAllCookies().Single(c => c.Name == ConsoleAuthentication.CookieName);
            await context.AddCookiesAsync([new Cookie { Name = cookie.Name, Value = cookie.Value, Url = App.PublicBaseUrl, HttpOnly = true, SameSite = SameSiteAttribute.Lax }]);
        }
        return context;
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
        _app?.Dispose();
        _app = null;
    }
}
