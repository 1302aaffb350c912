using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Tests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatOpsBot.BrowserTests;

/// <summary>
/// What people do at the console, in real Chromium: upload with the progress bar, the install funnel after an iPhone
/// fetched a link, what each role may see and do, and forms sent without their antiforgery token. The console is the
/// one of <see cref="ConsoleSite"/>, its own host for this class.
/// </summary>
public sealed partial class ConsoleFlowsBrowserTests(ConsoleSite site) : IClassFixture<ConsoleSite>
{
    private const string IphoneSafari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

    private static readonly BrowserNewContextOptions Desktop = new() { ViewportSize = new() { Width = 1280, Height = 800 } };

    private string Url(string path) => site.App.PublicBaseUrl + path;

    private string BuildPath => "/builds/" + site.BuildId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task UploadShowsItsProgressToTheFullBarAndLandsOnTheAnnouncedBuildsPage()
    {
        await using var context = await site.ContextAsync(Desktop, "ReleaseManager");
        // The progress bar and its status, recorded as they change: the page leaves for the build when the upload ends.
        await context.AddInitScriptAsync("""
            document.addEventListener('DOMContentLoaded', () => {
              const status = document.getElementById('upload-status');
              const bar = document.getElementById('upload-progress');
              if (!status || !bar) return;
              new MutationObserver(() => {
                const seen = JSON.parse(sessionStorage.getItem('progress') || '[]');
                seen.push({ text: status.textContent, value: bar.value, max: bar.max, hidden: bar.hidden });
                sessionStorage.setItem('progress', JSON.stringify(seen));
              }).observe(status, { childList: true, characterData: true, subtree: true });
            });
            """);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("/upload"));
        // Big enough that the browser reports progress while it sends: 6 MiB that do not compress.
        var filler = new byte[6 << 20];
        new Random(13).NextBytes(filler);
        var ipa = new TestIpaBuilder().WithAppFile("Assets.bin", filler).Build();

        await page.FillAsync("#app", "demo");
        await page.FillAsync("#channel", "beta");
        await page.FillAsync("#notes", "Bigger assets.");
        await page.CheckAsync("#announce");
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "Demo.ipa", MimeType = "application/octet-stream", Buffer = ipa });
        await page.ClickAsync("#upload-button");
        await page.WaitForURLAsync(new Regex(@"/builds/\d+\?announced=\d+$"), new() { Timeout = 60_000 });

        await Expect(page.Locator("#build-title")).ToBeVisibleAsync();
        await Expect(page.Locator("#announced")).ToContainTextAsync("Announced to 2 conversations");
        await Expect(page.Locator("#notes")).ToHaveTextAsync("Bigger assets.");
        var seen = JsonDocument.Parse(await page.EvaluateAsync<string>("() => sessionStorage.getItem('progress') || '[]'")).RootElement.EnumerateArray().ToList();
        var full = seen.FirstOrDefault(s => s.GetProperty("text").GetString() == "Uploading… 100 %");
        Assert.True(full.ValueKind == JsonValueKind.Object, "the bar never reached 100 %: " + string.Join(" | ", seen.Select(s => s.GetRawText())));
        Assert.False(full.GetProperty("hidden").GetBoolean());
        Assert.Equal(full.GetProperty("max").GetDouble(), full.GetProperty("value").GetDouble());
        Assert.True(full.GetProperty("max").GetDouble() >= ipa.Length, $"the bar's total {full.GetProperty("max")} is less than the file's {ipa.Length} bytes");
        Assert.Equal("Uploaded.", seen[^1].GetProperty("text").GetString());
        await Screenshots.TakeAsync(page, "console-flow-uploaded");

        var id = long.Parse(new Regex(@"/builds/(\d+)").Match(page.Url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        await using var scope = site.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        Assert.Equal(ipa.Length, (await db.Builds.AsNoTracking().SingleAsync(b => b.Id == id)).Size);
        Assert.Equal(2, await db.AnnouncementDeliveries.AsNoTracking().CountAsync(d => d.Announcement.BuildId == id));
    }

    [Fact]
    public async Task FunnelShowsWhenAnIphoneOpenedThePageFetchedTheManifestAndDownloadedTheIpa()
    {
        using var api = site.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var minted = await api.PostAsJsonAsync($"/api/v1/builds/{site.BuildId}/links", new { requestedFor = "Zoë on her iPhone" });
        Assert.True(minted.StatusCode == HttpStatusCode.Created, await minted.Content.ReadAsStringAsync());
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var linkId = link.GetProperty("id").GetInt64();
        // Safari opens the page; the installer, without cookies, fetches the manifest and the IPA.
        using (var iphone = site.App.CreateLoopbackClient())
        {
            iphone.DefaultRequestHeaders.UserAgent.ParseAdd(IphoneSafari);
            Assert.Contains("itms-services://", await iphone.GetStringAsync(new Uri(link.GetProperty("installPageUrl").GetString()!)), StringComparison.Ordinal);
            var manifest = await iphone.GetStringAsync(new Uri(link.GetProperty("manifestUrl").GetString()!));
            var ipaUrl = new Regex(@"<string>(https?://[^<]+/app\.ipa)</string>").Match(manifest).Groups[1].Value;
            Assert.NotEmpty(ipaUrl);
            Assert.NotEmpty(await iphone.GetByteArrayAsync(new Uri(ipaUrl)));
        }
        await FetchesRecordedAsync(linkId);

        await using var context = await site.ContextAsync(Desktop, "ReleaseManager");
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(BuildPath));

        var row = page.Locator($"#link-{linkId}");
        await Expect(row).ToContainTextAsync("Zoë on her iPhone");
        var at = site.App.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var step in new[] { "page", "manifest", "download-started", "download-completed" })
            await Expect(row.Locator($"td[data-step='{step}']")).ToHaveTextAsync(at);
        await Screenshots.TakeAsync(page, "console-flow-funnel");
    }

    /// <summary>
    /// Waits, within a deadline, until the manifest fetch (written in batches) and the completed download (settled
    /// just after its last byte, which the phone may have read already) are in the database.
    /// </summary>
    private async Task FetchesRecordedAsync(long linkId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await site.App.Services.GetRequiredService<Features.Links.LinkEventLog>().FlushAsync(site.App.Services.GetRequiredService<IServiceScopeFactory>());
            await using var scope = site.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
            if (await db.LinkEvents.AnyAsync(e => e.LinkId == linkId && e.Kind == LinkEventKind.ManifestFetch)
                && await db.LinkDownloads.AnyAsync(d => d.LinkId == linkId && d.Completed))
                return;
            Assert.True(DateTime.UtcNow < deadline, "the manifest fetch or the completed download was never recorded");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task MemberSeesNoUploadOrRevokeAndIsRefusedTheUploadPage()
    {
        await using var context = await site.ContextAsync(Desktop, "Member");
        var page = await context.NewPageAsync();

        var build = await page.GotoAsync(Url(BuildPath));
        Assert.Equal(200, build!.Status);
        await Expect(page.Locator("#build-title")).ToBeVisibleAsync();
        await Expect(page.Locator("#install")).ToBeVisibleAsync();
        await Expect(page.Locator("#revoke")).ToHaveCountAsync(0);
        await Expect(page.Locator("#revoke-button")).ToHaveCountAsync(0);
        await Expect(page.Locator("#funnel")).ToHaveCountAsync(0);
        await Expect(page.Locator("a[href='/upload']")).ToHaveCountAsync(0);

        var upload = await page.GotoAsync(Url("/upload"));
        Assert.Equal(403, upload!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Not for your role");
        await Expect(page.Locator("#upload-form")).ToHaveCountAsync(0);
    }

    [Theory]
    [InlineData("/apps")]
    [InlineData("/apps/demo")]
    [InlineData("/builds/{build}")]
    [InlineData("/subscriptions")]
    [InlineData("/settings")]
    public async Task AnonymousVisitorIsSentToSignInAndSeesNoData(string path)
    {
        await using var context = await site.ContextAsync(Desktop, null);
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url(path.Replace("{build}", site.BuildId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)));

        Assert.Equal("/signin", new Uri(page.Url).AbsolutePath);
        var text = await page.Locator("main").InnerTextAsync();
        Assert.DoesNotContain("demo", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("releases", text, StringComparison.Ordinal);
        await Expect(page.Locator("#signed-in-as")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task HealthPageSaysTheJobServerCheckWasSkippedOnAHostWithJobsDisabled()
    {
        await using var context = await site.ContextAsync(Desktop, "Admin");
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url("/health"));

        var finding = page.Locator("li.finding", new() { Has = page.Locator("strong.check", new() { HasTextString = "job server" }) });
        await Expect(finding).ToHaveCountAsync(1);
        // The test host runs no job server (its jobs run on the fake clock); with in-memory storage that is a warning.
        await Expect(finding).ToHaveAttributeAsync("data-verdict", TestProvider.IsPostgres ? "ok" : "warning");
        await Expect(finding.Locator(".message")).ToContainTextAsync("skipped: ChatOpsBot:Jobs:Enabled is false");
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("wrong")]
    public async Task RevokeFormSentWithoutItsAntiforgeryTokenIsRefusedWithAFriendlyPageAndRevokesNothing(string token)
    {
        await using var context = await site.ContextAsync(Desktop, "ReleaseManager");
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(BuildPath));
        var field = "#revoke form input[name='__antiforgery']";
        if (token == "missing")
            await page.Locator(field).EvaluateAsync("input => input.remove()");
        else
            await page.Locator(field).EvaluateAsync("input => { input.value = 'CfDJ8' + 'A'.repeat(100); }");

        await page.CheckAsync("#revoke-confirm");
        var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#revoke-button"), r => r.Request.Method == "POST");
        await page.WaitForLoadStateAsync();

        Assert.Equal(400, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("That did not go through");
        await Screenshots.TakeAsync(page, $"console-flow-antiforgery-{token}");
        await using var scope = site.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        Assert.Equal(BuildState.Active, (await db.Builds.AsNoTracking().SingleAsync(b => b.Id == site.BuildId)).State);
        await page.GotoAsync(Url(BuildPath));
        await Expect(page.Locator("#build-revoked")).ToHaveCountAsync(0);
    }
}
