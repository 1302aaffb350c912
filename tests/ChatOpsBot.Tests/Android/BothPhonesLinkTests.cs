using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Builds.Android;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Tests.Android;

/// <summary>
/// One link for both phones, through the real entry points: Slack's /install and the API mint one link for a channel
/// with an iOS and an Android build, its page fits the phone that opens it, and each file comes through it intact.
/// </summary>
public sealed partial class AndroidBuildTests
{
    private const string Installer = "com.apple.appstored/1.0 iOS/18.1 model/iPhone15,2 hwp/t8120 build/22B83 (6; dt:281) AMS/1";

    private static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static Dictionary<string, string> LinkButtons(JsonElement message) => message.GetProperty("blocks").EnumerateArray()
        .Where(b => b.GetProperty("type").GetString() == "actions")
        .SelectMany(b => b.GetProperty("elements").EnumerateArray())
        .Where(e => e.GetProperty("action_id").GetString() == "open_link")
        .ToDictionary(e => e.GetProperty("text").GetProperty("text").GetString()!, e => e.GetProperty("url").GetString()!);

    private async Task<JsonElement> LinkJsonAsync(long id)
    {
        using var response = await _api.GetAsync($"/api/v1/links/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<byte[]> GetBytesAsync(string path, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The IPA's path as an iPhone finds it: the page's itms-services link, then the manifest.</summary>
    private async Task<string> IpaPathFromPageAsync(string page)
    {
        var href = WebUtility.HtmlDecode(ItmsHref().Match(page).Groups["href"].Value);
        var manifestUrl = new Uri(ItmsManifest.ManifestUrlOf(href)!);
        var manifest = Plist.ParseDictionary(await GetBytesAsync(manifestUrl.AbsolutePath, Installer));
        var assets = ((PlistDictionary)manifest.GetArray("items")!.Single()).GetArray("assets")!.Cast<PlistDictionary>();
        return new Uri(assets.Single(a => a.GetString("kind") == "software-package").GetString("url")!).AbsolutePath;
    }

    [Fact]
    public async Task InstallInSlackGivesOneLinkForBothPhonesWhosePageFitsEachPhoneAndServesEachFile()
    {
        await UploadAsync(await host.ApkAsync());
        var ipa = new TestIpaBuilder().Build();
        var ios = await UploadAsync(ipa);
        var newerApk = await TestApks.BuildAsync(new TestApkSpec { VersionCode = 43, VersionName = "1.2.4" });
        var android = await UploadAsync(newerApk);
        await UploadAsync(new TestIpaBuilder().Build(), channel: "qa");

        using var response = await _view.CommandAsync("/install", $"{_view.Slug} beta");
        var message = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (label, url) = Assert.Single(LinkButtons(message));
        Assert.Equal("Install on iPhone or Android", label);
        Assert.Contains("iOS and Android", message.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("1.2.4 (43)", message.GetRawText(), StringComparison.Ordinal);
        var link = Assert.Single(_view.Links());
        Assert.Equal(ios.GetProperty("id").GetInt64(), link.BuildId);
        Assert.Equal(android.GetProperty("id").GetInt64(), link.SecondBuildId);
        var path = PathOf(url);

        var iphone = await PageAsync(path, SafariOnIPhone);
        Assert.Contains("data-client=\"ios\"", iphone, StringComparison.Ordinal);
        Assert.Contains("data-platform=\"both\"", iphone, StringComparison.Ordinal);
        Assert.Contains("data-browser=\"Safari\"", iphone, StringComparison.Ordinal);
        Assert.DoesNotContain("This build is for Android", iphone, StringComparison.Ordinal);
        Assert.Contains("iOS 1.4.2 (build 187) · Android 1.2.4 (build 43)", iphone, StringComparison.Ordinal);
        var androidPage = await PageAsync(path, ChromeOnAndroid);
        Assert.Contains("data-client=\"android\"", androidPage, StringComparison.Ordinal);
        Assert.Contains("data-browser=\"Chrome\"", androidPage, StringComparison.Ordinal);
        Assert.DoesNotContain("This build is for iPhone and iPad", androidPage, StringComparison.Ordinal);
        Assert.Equal(url + "/app.apk", DownloadHref().Match(androidPage).Groups["href"].Value);
        var desktop = await PageAsync(path, FirefoxOnLinux);
        Assert.Contains("data-client=\"desktop\"", desktop, StringComparison.Ordinal);
        Assert.Contains("id=\"both-platforms\"", desktop, StringComparison.Ordinal);
        Assert.Contains("id=\"qr\"", desktop, StringComparison.Ordinal);
        Assert.Contains("id=\"download-desktop\" href=\"" + url + "/app.apk\"", desktop, StringComparison.Ordinal);
        // A browser the user agent does not place cannot be told which phone it is on: it sees both, as a desktop does.
        var unknown = await PageAsync(path, "curl/8.5.0");
        Assert.Contains("data-client=\"desktop\"", unknown, StringComparison.Ordinal);
        Assert.Contains("id=\"both-platforms\"", unknown, StringComparison.Ordinal);
        var slackOnAndroid = await PageAsync(path, SlackOnAndroid);
        Assert.Contains("data-client=\"android-in-app\"", slackOnAndroid, StringComparison.Ordinal);
        Assert.Contains("Open this page in Chrome", slackOnAndroid, StringComparison.Ordinal);

        var apk = await GetBytesAsync(path + "/app.apk", ChromeOnAndroid);
        var ipaPath = await IpaPathFromPageAsync(iphone);
        Assert.Equal(path + "/app.ipa", ipaPath);
        var installed = await GetBytesAsync(ipaPath, Installer);

        Assert.Equal(android.GetProperty("sha256").GetString(), Sha256Of(apk));
        Assert.Equal(Sha256Of(newerApk), Sha256Of(apk));
        Assert.Equal(ios.GetProperty("sha256").GetString(), Sha256Of(installed));
        Assert.Equal(Sha256Of(ipa), Sha256Of(installed));
        var json = await LinkJsonAsync(link.Id);
        Assert.Equal(["ios", "android"], json.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal([link.BuildId, link.SecondBuildId!.Value], json.GetProperty("builds").EnumerateArray().Select(b => b.GetProperty("id").GetInt64()));
        var downloads = json.GetProperty("downloads").EnumerateArray().ToList();
        Assert.Equal(["android", "ios"], downloads.Select(d => d.GetProperty("platform").GetString()));
        Assert.Equal([link.SecondBuildId.Value, link.BuildId], downloads.Select(d => d.GetProperty("buildId").GetInt64()));
        Assert.Single(json.GetProperty("manifestFetches").EnumerateArray());
    }

    [Fact]
    public async Task ApiMintWithoutAPlatformGivesOneLinkForBothPhonesWhileAPlatformOrABuildGivesOne()
    {
        var ios = (await UploadAsync(new TestIpaBuilder().Build())).GetProperty("id").GetInt64();
        var android = (await UploadAsync(await host.ApkAsync())).GetProperty("id").GetInt64();

        using var both = await _api.PostAsJsonAsync($"/api/v1/apps/{_view.Slug}/links", new { channel = "beta" });
        using var named = await _api.PostAsJsonAsync($"/api/v1/apps/{_view.Slug}/links", new { platform = "android" });
        using var forBuild = await _api.PostAsJsonAsync($"/api/v1/builds/{ios}/links", new { });
        using var unknown = await _api.PostAsJsonAsync($"/api/v1/apps/{_view.Slug}/links", new { platform = "windows" });

        Assert.Equal(HttpStatusCode.Created, both.StatusCode);
        var link = await both.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ios, link.GetProperty("buildId").GetInt64());
        Assert.Equal(["ios", "android"], link.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal([ios, android], link.GetProperty("builds").EnumerateArray().Select(b => b.GetProperty("id").GetInt64()));
        Assert.Equal(["ios", "android"], (await LinkJsonAsync(link.GetProperty("id").GetInt64())).GetProperty("platforms").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(HttpStatusCode.Created, named.StatusCode);
        var androidOnly = await named.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["android"], androidOnly.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(android, androidOnly.GetProperty("buildId").GetInt64());
        Assert.Equal(HttpStatusCode.Created, forBuild.StatusCode);
        var iosOnly = await forBuild.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["ios"], iosOnly.GetProperty("platforms").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
        Assert.Equal(3, _view.Links().Count);

        // The link for one build stays a link for that build: the other platform's file is not behind it.
        using var apkOfIosLink = await host.Client.GetAsync(PathOf(iosOnly.GetProperty("installPageUrl").GetString()!) + "/app.apk");
        Assert.Equal(HttpStatusCode.NotFound, apkOfIosLink.StatusCode);
    }

    [Fact]
    public async Task ALinkForBothPhonesIsInTheConsoleFunnelOfEachBuildWithTheDownloadsOfThatBuildsFile()
    {
        var ios = (await UploadAsync(new TestIpaBuilder().Build())).GetProperty("id").GetInt64();
        var android = (await UploadAsync(await host.ApkAsync())).GetProperty("id").GetInt64();
        using var minted = await _api.PostAsJsonAsync($"/api/v1/apps/{_view.Slug}/links", new { channel = "beta" });
        Assert.Equal(HttpStatusCode.Created, minted.StatusCode);
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var linkId = link.GetProperty("id").GetInt64();
        await GetBytesAsync(PathOf(link.GetProperty("installPageUrl").GetString()!) + "/app.apk", "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36");
        using var manager = new Web.ConsoleBrowser(_app);
        manager.SignInAs(Web.ConsoleBrowser.SlackPerson(ChatOpsBot.Features.Web.ConsoleRole.ReleaseManager));

        var androidRow = FunnelRow(await manager.GetPageAsync($"/builds/{android}"), linkId);
        var iosRow = FunnelRow(await manager.GetPageAsync($"/builds/{ios}"), linkId);

        Assert.DoesNotContain("data-step=\"download-started\">—<", androidRow, StringComparison.Ordinal);
        Assert.DoesNotContain("data-step=\"download-completed\">—<", androidRow, StringComparison.Ordinal);
        Assert.Contains("data-step=\"manifest\">—<", androidRow, StringComparison.Ordinal);
        Assert.Contains("data-step=\"download-started\">—<", iosRow, StringComparison.Ordinal);
        Assert.Contains("data-step=\"download-completed\">—<", iosRow, StringComparison.Ordinal);
    }

    private static string FunnelRow(string html, long linkId)
    {
        var start = html.IndexOf($"<tr id=\"link-{linkId}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the funnel has no row for link {linkId}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task RevokingEitherBuildStopsTheLinkForBothPhones()
    {
        await UploadAsync(new TestIpaBuilder().Build());
        var android = (await UploadAsync(await host.ApkAsync())).GetProperty("id").GetInt64();
        using var minted = await _api.PostAsJsonAsync($"/api/v1/apps/{_view.Slug}/links", new { channel = "beta" });
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var path = PathOf(link.GetProperty("installPageUrl").GetString()!);

        using (var releaseManager = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var revoked = await releaseManager.DeleteAsync($"/api/v1/builds/{android}"))
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        using var page = await host.Client.GetAsync(path);
        using var ipa = await host.Client.GetAsync(path + "/app.ipa");
        using var manifest = await host.Client.GetAsync(path + "/manifest.plist");
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, ipa.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, manifest.StatusCode);
        Assert.NotEqual(JsonValueKind.Null, (await LinkJsonAsync(link.GetProperty("id").GetInt64())).GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task WhenTheIosProfileExpiresALinkForBothPhonesStillInstallsTheApkAndSaysTheIosBuildIsGone()
    {
        await using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(new() { ["ChatOpsBot:Links:Lifetime"] = "100.00:00:00" }));
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var phone = app.CreateLoopbackClient();
        var apk = await host.ApkAsync();
        foreach (var (bytes, name) in new[] { (new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc())).Build(), "a.ipa"), (apk, "a.apk") })
        {
            using var uploaded = await api.PostAsync("/api/v1/builds", Form(bytes, "expiring", fileName: name));
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        }
        using var minted = await api.PostAsJsonAsync("/api/v1/apps/expiring/links", new { channel = "beta" });
        var path = PathOf((await minted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("installPageUrl").GetString()!);

        async Task<string> PageOnAsync(string userAgent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            using var response = await phone.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        app.Clock.Advance(new DateTimeOffset(TestProfiles.Expires, TimeSpan.Zero) - app.Clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.Contains("id=\"install\"", await PageOnAsync(SafariOnIPhone), StringComparison.Ordinal);
        using (var manifest = await phone.GetAsync(path + "/manifest.plist"))
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);

        app.Clock.Advance(TimeSpan.FromSeconds(1));
        var iphone = await PageOnAsync(SafariOnIPhone);
        Assert.Contains("id=\"ios-expired\"", iphone, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"install\"", iphone, StringComparison.Ordinal);
        Assert.Contains("id=\"download\"", await PageOnAsync(ChromeOnAndroid), StringComparison.Ordinal);
        using (var manifest = await phone.GetAsync(path + "/manifest.plist"))
            Assert.Equal(HttpStatusCode.Gone, manifest.StatusCode);
        Assert.Equal(apk, await phone.GetByteArrayAsync(path + "/app.apk"));
    }

    [GeneratedRegex("href=\"(?<href>itms-services://[^\"]+)\"")]
    private static partial Regex ItmsHref();
}

public sealed class BothPhonesOpenApiTests
{
    [Fact]
    public async Task OpenApiDescribesWhichBuildsAndPlatformsALinkCoversAndWhichBuildADownloadSent()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        var schemas = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement.GetProperty("components").GetProperty("schemas");

        foreach (var link in new[] { "LinkResponse", "LinkActivityResponse" })
        {
            var properties = schemas.GetProperty(link).GetProperty("properties");
            Assert.True(properties.TryGetProperty("builds", out _), link);
            Assert.True(properties.TryGetProperty("platforms", out _), link);
        }
        Assert.Equal(["id", "platform"], schemas.GetProperty("LinkBuildResponse").GetProperty("properties").EnumerateObject().Select(p => p.Name));
        var download = schemas.GetProperty("DownloadResponse").GetProperty("properties");
        Assert.True(download.TryGetProperty("buildId", out _));
        Assert.True(download.TryGetProperty("platform", out _));
    }
}
