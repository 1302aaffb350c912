using System.Net;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Web;

public sealed class ConsoleUploadTests
{
    // Also the proof that the page streams: had anything read the form first (Razor Pages' own antiforgery check or
    // a bound parameter), the body would be gone and the upload "incomplete".
    [Fact]
    public async Task UploadWithoutJavaScriptStoresTheBuildAndGoesToItsPage()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        using var response = await UploadAsync(browser, new TestIpaBuilder().Build(), notes: "First console upload");

        Assert.True(response.StatusCode == HttpStatusCode.Redirect, ProblemOf(await response.Content.ReadAsStringAsync()));
        var location = response.Headers.Location!.OriginalString;
        Assert.Matches("^/builds/[0-9]+$", location);
        var html = await browser.GetPageAsync(location);
        Assert.Contains("<pre id=\"notes\">First console upload</pre>", html, StringComparison.Ordinal);
        Assert.Contains("Ada (slack)", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{location}\"", await browser.GetPageAsync("/apps"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadFromTheScriptSendsTheTokenAsAHeaderAndGetsTheBuildsAddress()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));
        var page = await browser.GetPageAsync("/upload");
        Assert.Contains("data-token-header=\"RequestVerificationToken\"", page, StringComparison.Ordinal);
        var token = ConsoleBrowser.AntiforgeryTokenOf(page);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = Form(new TestIpaBuilder().Build(), token: null) };
        request.Headers.Add("RequestVerificationToken", token);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await browser.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var location = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("location").GetString();
        Assert.Matches("^/builds/[0-9]+$", location);
    }

    [Fact]
    public async Task UploadOfANonIpaShowsTheApisProblemAndLeavesNoRowOrFile()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var api = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var apiForm = Form("not a zip"u8.ToArray(), token: null);
        using var apiResponse = await api.PostAsync("/api/v1/builds", apiForm);
        var apiDetail = JsonDocument.Parse(await apiResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));
        var files = app.DataFiles();

        using var response = await UploadAsync(browser, "not a zip"u8.ToArray());
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("The IPA was refused", html, StringComparison.Ordinal);
        Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(apiDetail), html, StringComparison.Ordinal);
        Assert.Contains("id=\"upload-form\"", html, StringComparison.Ordinal);
        Assert.Equal(files, app.DataFiles());
        await AssertNoBuildsAsync(app);
    }

    [Theory]
    [InlineData("Beta!", "Invalid channel")]
    [InlineData("", "Invalid channel")]
    public async Task UploadWithABadChannelShowsWhyAndStoresNothing(string channel, string title)
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        using var response = await UploadAsync(browser, new TestIpaBuilder().Build(), channel: channel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(title, ProblemOf(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Empty(app.DataFiles());
        await AssertNoBuildsAsync(app);
    }

    [Fact]
    public async Task UploadLargerThanTheLimitIsRefusedWithTheApisMessage()
    {
        await using var app = new ChatOpsBotApplication(new() { ["ChatOpsBot:Uploads:MaxBytes"] = "1000" }, servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        using var response = await UploadAsync(browser, new TestIpaBuilder().WithAppFile("padding.bin", new byte[4000]).Build());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("ChatOpsBot:Uploads:MaxBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(app.DataFiles());
        await AssertNoBuildsAsync(app);
    }

    [Fact]
    public async Task MemberIsRefusedTheUploadPageAndItsPost()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson());

        using var page = await browser.GetAsync("/upload");
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.DoesNotContain("id=\"upload-form\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var post = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = Form(new TestIpaBuilder().Build(), token: "x") });
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Empty(app.DataFiles());
        await AssertNoBuildsAsync(app);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task UploadWithoutAValidAntiforgeryTokenIsRefusedBeforeTheFileIsStored(string? token)
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));
        await browser.GetPageAsync("/upload");

        using var response = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = Form(new TestIpaBuilder().Build(), token) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The form has expired", ProblemOf(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Empty(app.DataFiles());
        await AssertNoBuildsAsync(app);
    }

    [Fact]
    public async Task TokenSentAfterTheFileIsRefused()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));
        var token = ConsoleBrowser.AntiforgeryTokenOf(await browser.GetPageAsync("/upload"));
        using var form = Form(new TestIpaBuilder().Build(), token: null);
        form.Add(new StringContent(token), "__antiforgery");

        using var response = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = form });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNoBuildsAsync(app);
    }

    [Fact]
    public async Task UploadWithAnnounceAnnouncesTheNewBuild()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.ReleaseManager));

        using var response = await UploadAsync(browser, new TestIpaBuilder().Build(), announce: true);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Matches("^/builds/[0-9]+\\?announced=[0-9]+$", response.Headers.Location!.OriginalString);
        await using var scope = app.Services.CreateAsyncScope();
        var announcement = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Announcements.SingleAsync();
        Assert.Equal("Ada (slack)", announcement.AnnouncedBy);
    }

    /// <summary>Posts the upload form as a browser without JavaScript does: the page's token first, then the fields, then the file.</summary>
    private static async Task<HttpResponseMessage> UploadAsync(ConsoleBrowser browser, byte[] file, string channel = "beta", string? notes = null, bool announce = false)
    {
        var token = ConsoleBrowser.AntiforgeryTokenOf(await browser.GetPageAsync("/upload"));
        var form = Form(file, token, channel, notes, announce);
        return await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = form });
    }

    private static MultipartFormDataContent Form(byte[] file, string? token, string channel = "beta", string? notes = null, bool announce = false)
    {
        var form = new MultipartFormDataContent();
        if (token is not null)
            form.Add(new StringContent(token), "__antiforgery");
        form.Add(new StringContent("demo"), "app");
        form.Add(new StringContent(channel), "channel");
        form.Add(new StringContent(notes ?? ""), "notes");
        if (announce)
            form.Add(new StringContent("true"), "announce");
        form.Add(new ByteArrayContent(file), "file", "Demo.ipa");
        return form;
    }

    private static string ProblemOf(string html) =>
        System.Text.RegularExpressions.Regex.Match(html, "<p id=\"upload-error\"[^>]*>.*?</p>", System.Text.RegularExpressions.RegexOptions.Singleline).Value;

    private static async Task AssertNoBuildsAsync(ChatOpsBotApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        Assert.Empty(await db.Builds.ToListAsync());
        Assert.Empty(await db.Apps.ToListAsync());
    }
}
