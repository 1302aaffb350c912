using System.IO.Compression;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Data;
using ChatOpsBot.PropertyList;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Web;

/// <summary>The set-up page's steps, after the set-up address: the first API key, Slack, Teams, the sample build.</summary>
public sealed partial class SetupWalkthroughTests
{
    /// <summary>Creates a key on <paramref name="page"/> (posting to <paramref name="action"/>) and returns it as shown once.</summary>
    internal static async Task<string> CreateKeyAsync(ConsoleBrowser browser, string page, string action, string name, string role)
    {
        using var response = await browser.SubmitAsync(page, [new("name", name), new("role", role)], action);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action}: {(int)response.StatusCode} {html}");
        var key = NewKey().Match(html);
        Assert.True(key.Success, "no key shown: " + html);
        return WebUtility.HtmlDecode(key.Groups[1].Value);
    }

    internal static async Task<HttpStatusCode> UploadAsync(ChatOpsBotApplication app, string key, string version = "1.0")
    {
        using var api = app.CreateClient(key);
        var ipa = new Core.Tests.Builds.TestIpaBuilder();
        ipa.Info["CFBundleShortVersionString"] = version;
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new ByteArrayContent(ipa.Build()), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        return response.StatusCode;
    }

    [Fact]
    public async Task KeyCreatedOnTheSetUpPageUploadsUntilItIsRevoked()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);

        var key = await CreateKeyAsync(browser, "/setup", "/setup?handler=Key", "ci", "Uploader");

        Assert.Equal(HttpStatusCode.Created, await UploadAsync(app, key, "1.0"));
        using (var scope = app.Services.CreateScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().ApiKeys.AsNoTracking().SingleAsync();
            Assert.Equal(("ci", ApiRole.Uploader, "web:setup", app.Clock.GetUtcNow().UtcDateTime), (row.Name, row.Role, row.CreatedBy, row.CreatedAt));
            Assert.Equal(Features.ApiKeys.ApiKeyRing.HashOf(key), row.KeyHash);
            Assert.Null(row.RevokedAt);
        }
        // Shown once: neither the set-up page nor Settings shows it again.
        Assert.DoesNotContain(key, await browser.GetPageAsync("/setup"), StringComparison.Ordinal);
        var settings = await browser.GetPageAsync("/settings");
        Assert.DoesNotContain(key, settings, StringComparison.Ordinal);
        Assert.Contains($"<code>{Features.ApiKeys.ApiKeyRing.HashOf(key)[..8]}…</code>", settings, StringComparison.Ordinal);

        var revoke = RevokeLink().Match(settings).Groups[1].Value;
        var confirm = await browser.GetPageAsync(revoke);
        Assert.Contains("id=\"revoke-confirm\"", confirm, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, await UploadAsync(app, key, "1.1"));
        using var revoked = await browser.SubmitAsync(revoke, []);

        Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await UploadAsync(app, key, "1.2"));
        Assert.Contains("revoked", await browser.GetPageAsync("/settings"), StringComparison.Ordinal);
        // Revoking again (the form sent twice) says so and changes nothing.
        var token = WebUtility.HtmlDecode(Antiforgery().Match(confirm).Groups[1].Value);
        using var twice = await browser.PostFormAsync(revoke, [new("__antiforgery", token)]);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Contains("id=\"revoke-error\"", await twice.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminKeyFromTheSetUpPageSignsInAndEndsTheFirstRun()
    {
        var directory = Directory.CreateTempSubdirectory("chatopsbot-test-").FullName;
        try
        {
            string key;
            await using (var app = new ChatOpsBotApplication(servePublicBaseUrl: true, dataDirectory: directory))
            {
                using var browser = await FirstRunTests.SetUpAsync(app);
                key = await CreateKeyAsync(browser, "/setup", "/setup?handler=Key", "ops", "Admin");
            }
            // With an Admin key in the database, no set-up address is issued again.
            await using var restarted = new ChatOpsBotApplication(servePublicBaseUrl: true, dataDirectory: directory);
            restarted.Clock.Advance(TimeSpan.FromDays(2));
            using var admin = new ConsoleBrowser(restarted);
            await admin.SignInWithKeyAsync(key);
            Assert.DoesNotContain(restarted.Logs, l => l.Contains("/setup/", StringComparison.Ordinal));
            Assert.Contains("id=\"key-list\"", await admin.GetPageAsync("/settings"), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            TestProvider.RemoveDatabase(directory);
        }
    }

    [Fact]
    public async Task ConfigurationKeysKeepWorkingBesideDatabaseKeys()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        await browser.SignInWithKeyAsync(ChatOpsBotApplication.AdminKey);

        var key = await CreateKeyAsync(browser, "/settings", "/settings?handler=Create", "nightly", "ReleaseManager");

        Assert.Equal(HttpStatusCode.Created, await UploadAsync(app, ChatOpsBotApplication.UploaderKey, "1.0"));
        Assert.Equal(HttpStatusCode.Created, await UploadAsync(app, key, "1.1"));
        var settings = await browser.GetPageAsync("/settings");
        foreach (var name in new[] { "ci", "release", "ops", "nightly" })
            Assert.Contains($"<td>{name}</td>", settings, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(settings, "<td>configuration</td>"));
        Assert.DoesNotContain(ChatOpsBotApplication.UploaderKey, settings, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Uploader")]
    [InlineData("   ", "Admin")]
    [InlineData("ci2", "Owner")]
    [InlineData("ci2", "1")]
    [InlineData("ci2", "")]
    [InlineData("ci", "Uploader")] // a name ChatOpsBot:ApiKeys has
    public async Task BadKeyFormGetsAFriendlyPageAndMakesNoKey(string name, string role)
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), servePublicBaseUrl: true);
        using var browser = new ConsoleBrowser(app);
        await browser.SignInWithKeyAsync(ChatOpsBotApplication.AdminKey);

        using var response = await browser.SubmitAsync("/settings", [new("name", name), new("role", role)], "/settings?handler=Create");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"key-error\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"new-key\"", html, StringComparison.Ordinal);
        using var scope = app.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().ApiKeys.CountAsync());
    }

    [Fact]
    public async Task TheKeyFormSentTwiceMakesOneKey()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);
        await CreateKeyAsync(browser, "/setup", "/setup?handler=Key", "ci", "Uploader");

        using var again = await browser.SubmitAsync("/setup", [new("name", "ci"), new("role", "Uploader")], "/setup?handler=Key");

        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("id=\"key-error\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var scope = app.Services.CreateScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().ApiKeys.CountAsync());
    }

    [Fact]
    public async Task KeyFormWithoutItsAntiforgeryTokenIsRefused()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);

        using var response = await browser.PostFormAsync("/setup?handler=Key", [new("name", "ci"), new("role", "Admin")]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var scope = app.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().ApiKeys.CountAsync());
    }

    [Fact]
    public async Task SlackManifestCarriesThisHostsPublicBaseUrl()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);

        var page = await browser.GetPageAsync("/setup");
        using var download = await browser.GetAsync("/setup/slack-manifest");
        var manifest = await download.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        foreach (var path in new[] { "/slack/events", "/slack/commands", "/slack/interactions" })
            Assert.Contains($"{app.PublicBaseUrl}{path}", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", manifest, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode($"{app.PublicBaseUrl}/slack/events"), page, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", page, StringComparison.Ordinal);
        Assert.Contains($"{app.PublicBaseUrl}/api/messages", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TeamsPackageIsAZipForTheConfiguredBot()
    {
        await using var app = new ChatOpsBotApplication(new()
        {
            ["Teams:MicrosoftAppId"] = "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
            ["Teams:MicrosoftAppPassword"] = "not-a-real-secret",
            ["Teams:MicrosoftAppTenantId"] = "11111111-2222-3333-4444-555555555555",
            ["Teams:MicrosoftAppType"] = "SingleTenant",
        }, servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);

        using var response = await browser.GetAsync("/setup/teams-package");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));

        Assert.Equal(["color.png", "manifest.json", "outline.png"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
        Assert.Equal("3f2504e0-4f89-41d3-9a0c-0305e82c3301", manifest.RootElement.GetProperty("bots")[0].GetProperty("botId").GetString());
        // What package.py derives for the same bot: uuid5(NAMESPACE_URL, "chatopsbot-teams:" + bot id).
        Assert.Equal("205a1954-daac-54ca-b67d-2610fe34289a", manifest.RootElement.GetProperty("id").GetString());
        using var color = zip.GetEntry("color.png")!.Open();
        var signature = new byte[8];
        color.ReadExactly(signature);
        Assert.Equal<byte>([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], signature);
    }

    [Fact]
    public async Task WithoutABotIdTheSetUpPageSaysWhatToSetInsteadOfAPackage()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);

        Assert.Contains("id=\"teams-package-missing\"", await browser.GetPageAsync("/setup"), StringComparison.Ordinal);
        using var response = await browser.GetAsync("/setup/teams-package");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task SampleBuildInstallsAndIsListedByTheApi()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);

        using var added = await browser.SubmitAsync("/setup", [], "/setup?handler=Sample");
        var html = await added.Content.ReadAsStringAsync();
        Assert.True(added.StatusCode == HttpStatusCode.OK, html + app.ServerErrors());
        Assert.Contains("id=\"sample-added\"", html, StringComparison.Ordinal);
        var install = WebUtility.HtmlDecode(SampleInstall().Match(html).Groups[1].Value);
        Assert.StartsWith(app.PublicBaseUrl + "/i/", install, StringComparison.Ordinal);

        using var phone = new HttpClient { BaseAddress = browser.BaseAddress };
        phone.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1");
        using var page = await phone.GetAsync(install);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Sample", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var manifestResponse = await phone.GetAsync(install + "/manifest.plist");
        Assert.Equal(HttpStatusCode.OK, manifestResponse.StatusCode);
        var manifest = Plist.ParseDictionary(await manifestResponse.Content.ReadAsByteArrayAsync());
        var item = (PlistDictionary)manifest.GetArray("items")!.Single();
        Assert.Equal("com.chatopsbot.sample", ((PlistDictionary)item["metadata"]).GetString("bundle-identifier"));
        var assets = item.GetArray("assets")!.Cast<PlistDictionary>().ToDictionary(a => a.GetString("kind")!, a => a.GetString("url")!);
        Assert.True(assets.ContainsKey("display-image"), "the sample has an icon");
        var ipa = await phone.GetByteArrayAsync(assets["software-package"]);
        Assert.Equal(Features.Web.SampleBuild.Ipa(), ipa);
        var icon = await phone.GetByteArrayAsync(assets["display-image"]);
        Assert.Equal<byte>([0x89, 0x50, 0x4E, 0x47], icon[..4]);

        var key = await CreateKeyAsync(browser, "/setup", "/setup?handler=Key", "ci", "Uploader");
        using var api = app.CreateClient(key);
        using var apps = JsonDocument.Parse(await api.GetStringAsync("/api/v1/apps"));
        var sample = Assert.Single(apps.RootElement.EnumerateArray());
        Assert.Equal("sample", sample.GetProperty("slug").GetString());
        Assert.Equal("beta", sample.GetProperty("channels")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task AddingTheSampleTwiceKeepsOneBuild()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var browser = await FirstRunTests.SetUpAsync(app);
        using var first = await browser.SubmitAsync("/setup", [], "/setup?handler=Sample");

        using var second = await browser.SubmitAsync("/setup", [], "/setup?handler=Sample");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("was added before", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var scope = app.Services.CreateScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.CountAsync());
    }

    [Fact]
    public async Task SetUpAndSettingsAreForAdministratorsOnly()
    {
        await using var app = new ChatOpsBotApplication(servePublicBaseUrl: true);
        using var anonymous = new ConsoleBrowser(app);
        using var member = new ConsoleBrowser(app);
        member.SignInAs(ConsoleBrowser.SlackPerson(Features.Web.ConsoleRole.ReleaseManager));

        foreach (var path in new[] { "/setup", "/settings", "/setup/slack-manifest", "/setup/teams-package", "/settings/keys/1/revoke" })
        {
            using var theirs = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, theirs.StatusCode);
            Assert.StartsWith("/signin", theirs.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
            using var members = await member.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, members.StatusCode);
            Assert.StartsWith("/denied", members.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();

    [GeneratedRegex("<pre id=\"new-key\">([^<]+)</pre>")]
    private static partial Regex NewKey();

    [GeneratedRegex("href=\"(/settings/keys/\\d+/revoke)\"")]
    private static partial Regex RevokeLink();

    [GeneratedRegex("id=\"sample-install\" href=\"([^\"]+)\"")]
    private static partial Regex SampleInstall();
}
