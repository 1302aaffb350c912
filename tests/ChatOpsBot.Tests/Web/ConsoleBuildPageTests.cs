using System.Net;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Links;
using ChatOpsBot.Features.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Web;

public sealed class ConsoleBuildPageTests
{
    private const string Desktop = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
    private const string IPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

    [Fact]
    public async Task BuildPageShowsMetadataNotesProfileAndIcon()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 9, 30, 0, DateTimeKind.Utc)), notes: "Fixes the login screen.");
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        var html = await browser.GetPageAsync($"/builds/{id}");

        Assert.Contains("Demo &amp; Co 1.4.2", html, StringComparison.Ordinal);
        Assert.Contains("<pre id=\"notes\">Fixes the login screen.</pre>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"profile-type\">Ad Hoc<", html, StringComparison.Ordinal);
        Assert.Contains("Example Corp &amp; Sons (A1B2C3D4E5)", html, StringComparison.Ordinal);
        Assert.Contains("id=\"profile-devices\">3 devices<", html, StringComparison.Ordinal);
        Assert.Contains("id=\"profile-expiry\">expires 2027-01-15<", html, StringComparison.Ordinal);
        var icon = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/icons/[0-9a-f]{64}\\.png)\"").Groups[1].Value;
        using var iconResponse = await browser.GetAsync(icon);
        Assert.Equal(HttpStatusCode.OK, iconResponse.StatusCode);
        Assert.Equal("image/png", iconResponse.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task MemberSeesNoRevokeAnnounceOrFunnelAndIsRefusedTheirPosts()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        var html = await browser.GetPageAsync($"/builds/{id}");
        Assert.Contains("id=\"install-button\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"revoke\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"announce\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"funnel\"", html, StringComparison.Ordinal);

        using var revoke = await browser.SubmitAsync($"/builds/{id}", [new("confirm", "yes")], action: $"/builds/{id}?handler=Revoke");
        using var announce = await browser.SubmitAsync($"/builds/{id}", [], action: $"/builds/{id}?handler=Announce");

        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, announce.StatusCode);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        Assert.Equal(BuildState.Active, (await db.Builds.SingleAsync(b => b.Id == id)).State);
        Assert.Empty(await db.Announcements.ToListAsync());
    }

    [Fact]
    public async Task InstallOnThisDeviceMintsAWebLinkForThePersonAndGoesToItsInstallPage()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());
        var page = await browser.GetPageAsync($"/builds/{id}");
        Assert.Contains($"action=\"/builds/{id}?handler=Install\"", page, StringComparison.Ordinal);

        using var response = await PostWithUserAgentAsync(browser, $"/builds/{id}", "Install", IPhone);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(app.PublicBaseUrl)}/i/[A-Za-z0-9_-]+$", location.ToString());
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var link = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.SingleAsync();
            Assert.Equal(("web", "T0001", "U0001", "Ada", id), (link.Platform, link.Workspace, link.UserId, link.UserName, link.BuildId));
        }
        using var install = await browser.GetAsync(location.ToString());
        Assert.Equal(HttpStatusCode.OK, install.StatusCode);
        Assert.Contains("itms-services://", await install.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallOnADesktopShowsTheLinksQrCode()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        using var response = await PostWithUserAgentAsync(browser, $"/builds/{id}", "Install", Desktop);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var qr = System.Text.RegularExpressions.Regex.Match(html, "id=\"install-qr\" src=\"([^\"]+)\"").Groups[1].Value;
        Assert.EndsWith("/qr.png", qr, StringComparison.Ordinal);
        using var image = await browser.GetAsync(qr);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task FunnelShowsEachPersonsPageManifestAndDownloadSteps()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        using var member = new ConsoleBrowser(app);
        member.SignInAs(ConsoleBrowser.SlackPerson(userId: "U0009", name: "Linus"));
        using var minted = await PostWithUserAgentAsync(member, $"/builds/{id}", "Install", IPhone);
        var installPage = minted.Headers.Location!.ToString();
        using var manager = new ConsoleBrowser(app);
        manager.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        var before = Row(await manager.GetPageAsync($"/builds/{id}"));
        Assert.Contains("Linus", before, StringComparison.Ordinal);
        Assert.Contains("data-step=\"page\">—<", before, StringComparison.Ordinal);

        using var phone = new HttpClient();
        phone.DefaultRequestHeaders.UserAgent.ParseAdd(IPhone);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        (await phone.GetAsync(installPage)).Dispose();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        (await phone.GetAsync(installPage + "/manifest.plist")).Dispose();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        using (var ipa = await phone.GetAsync(installPage + "/app.ipa"))
        {
            Assert.Equal(HttpStatusCode.OK, ipa.StatusCode);
            await ipa.Content.ReadAsByteArrayAsync();
        }
        await FetchesRecordedAsync(app);

        var after = Row(await manager.GetPageAsync($"/builds/{id}"));
        Assert.Contains("data-step=\"page\">2026-11-23 09:01 UTC<", after, StringComparison.Ordinal);
        Assert.Contains("data-step=\"manifest\">2026-11-23 09:02 UTC<", after, StringComparison.Ordinal);
        Assert.Contains("data-step=\"download-started\">2026-11-23 09:03 UTC<", after, StringComparison.Ordinal);
        Assert.Contains("data-step=\"download-completed\">2026-11-23 09:03 UTC<", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReleaseManagerRevokesOnlyWithConfirmationAndTheRevokedBuildSaysSo()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        using var unconfirmed = await browser.SubmitAsync($"/builds/{id}", [], action: $"/builds/{id}?handler=Revoke");
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.DoesNotContain("id=\"build-revoked\"", await browser.GetPageAsync($"/builds/{id}"), StringComparison.Ordinal);

        using var confirmed = await browser.SubmitAsync($"/builds/{id}", [new("confirm", "yes")], action: $"/builds/{id}?handler=Revoke");
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        var html = await browser.GetPageAsync($"/builds/{id}");
        Assert.Contains("id=\"build-revoked\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"install-button\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"revoke-button\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeWithoutAntiforgeryTokenIsRefusedAndChangesNothing()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));
        await browser.GetPageAsync($"/builds/{id}");

        using var response = await browser.PostFormAsync($"/builds/{id}?handler=Revoke", [new("confirm", "yes")]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("id=\"build-revoked\"", await browser.GetPageAsync($"/builds/{id}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReleaseManagerAnnouncesToTheSubscribedConversations()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc)));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
            var appId = await db.Apps.Where(a => a.Slug == "demo").Select(a => a.Id).SingleAsync();
            db.Subscriptions.Add(new Subscription
            {
                AppId = appId, Channel = "beta", Platform = "slack", Workspace = "T0001", ConversationId = "C0001",
                ConversationName = "#ios-<testers>", CreatedBy = "Ada", CreatedAt = app.Clock.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync();
        }
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));
        var page = await browser.GetPageAsync($"/builds/{id}");
        Assert.Contains("#ios-&lt;testers&gt;", page, StringComparison.Ordinal);

        using var response = await browser.SubmitAsync($"/builds/{id}", [], action: $"/builds/{id}?handler=Announce");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var html = await browser.GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("Announced to 1 conversation.", html, StringComparison.Ordinal);
        await using var check = app.Services.CreateAsyncScope();
        var delivery = await check.ServiceProvider.GetRequiredService<ChatOpsBotDb>().AnnouncementDeliveries.Include(d => d.Announcement).SingleAsync();
        Assert.Equal(("C0001", id, "Ada (slack)"), (delivery.ConversationId, delivery.Announcement.BuildId, delivery.Announcement.AnnouncedBy));
    }

    [Theory]
    [InlineData("999")]
    [InlineData("abc")]
    public async Task UnknownBuildGetsAFriendlyNotFoundPage(string id)
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        using var response = await browser.GetAsync($"/builds/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"There is no build &#x27;{id}&#x27;", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MarkupInABuildsNameAndNotesIsShownAsText()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        var id = await ConsoleBuilds.UploadAsync(app, ConsoleBuilds.IpaExpiring(new DateTime(2027, 1, 15, 0, 0, 0, DateTimeKind.Utc), displayName: "<script>alert(1)</script>"),
            notes: "<script>alert(2)</script> & <b>bold</b>");
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        foreach (var html in new[] { await browser.GetPageAsync($"/builds/{id}"), await browser.GetPageAsync("/apps"), await browser.GetPageAsync("/apps/demo") })
        {
            Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>bold", html, StringComparison.Ordinal);
        }
        var page = await browser.GetPageAsync($"/builds/{id}");
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;", page, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PostWithUserAgentAsync(ConsoleBrowser browser, string page, string handler, string userAgent)
    {
        var token = ConsoleBrowser.AntiforgeryTokenOf(await browser.GetPageAsync(page));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{page}?handler={handler}")
        {
            Content = new FormUrlEncodedContent([new("__antiforgery", token)]),
        };
        request.Headers.UserAgent.ParseAdd(userAgent);
        return await browser.SendAsync(request);
    }

    /// <summary>Manifest fetches are recorded in the background; waits (bounded) until the one just made is committed.</summary>
    private static async Task FetchesRecordedAsync(ChatOpsBotApplication app)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await app.Services.GetRequiredService<LinkEventLog>().FlushAsync(app.Services.GetRequiredService<IServiceScopeFactory>());
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
            // Manifest fetches are written in batches; a download is settled just after its last byte is sent, which
            // the phone may have read already.
            if (await db.LinkEvents.AnyAsync(e => e.Kind == LinkEventKind.ManifestFetch) && await db.LinkDownloads.AnyAsync(d => d.Completed))
                return;
            Assert.True(DateTime.UtcNow < deadline, "the manifest fetch or the completed download was never recorded");
            await Task.Delay(20);
        }
    }

    private static string Row(string html)
    {
        var start = html.IndexOf("<tr id=\"link-", StringComparison.Ordinal);
        Assert.True(start >= 0, "the funnel has no row");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }
}
