using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Tests;

/// <summary>
/// Links and what a phone fetches through them, on one host that the tests of the class share; xUnit runs them one
/// after another. Each test uploads to an app of its own and mints its own links. The tests that move the clock boot
/// a host of their own instead, so the shared host's clock stays where it started.
/// </summary>
public sealed class DeliveryTests(DeliveryTests.Host shared) : IClassFixture<DeliveryTests.Host>, IDisposable
{
    private const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    private const string Installer = "com.apple.appstored/1.0 iOS/18.1 model/iPhone15,2 hwp/t8120 build/22B83 (6; dt:281) AMS/1";

    /// <summary>
    /// A host with API keys, an uploader's client and a phone (the iOS installer). Shared, it serves every test's
    /// unknown-token lookups from loopback in one rate-limit window: together they stay well inside that budget.
    /// </summary>
    public sealed class Host : IDisposable
    {
        private int _apps;

        public Host()
        {
            App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys());
            Api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            Phone = App.CreateLoopbackClient();
            Phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Installer);
        }

        internal ChatOpsBotApplication App { get; }

        public HttpClient Api { get; }

        public HttpClient Phone { get; }

        /// <summary>An app name no other test on this host uploads to.</summary>
        public string NewAppSlug() => "demo-" + Interlocked.Increment(ref _apps).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public void Dispose()
        {
            Api.Dispose();
            Phone.Dispose();
            App.Dispose();
        }
    }

    private Host _host = shared;
    private Host? _own;
    private string _appSlug = shared.NewAppSlug();
    private byte[] _ipa = [];

    private ChatOpsBotApplication App => _host.App;

    private HttpClient Api => _host.Api;

    private HttpClient Phone => _host.Phone;

    /// <summary>For a test that moves the clock: the rest of the test runs on a host of its own.</summary>
    private void UseOwnHost()
    {
        _own = _host = new Host();
        _appSlug = _host.NewAppSlug();
    }

    public void Dispose() => _own?.Dispose();

    private async Task<long> UploadAsync(string displayName = "Demo & Co", string channel = "beta", bool withIcon = true, Action<TestIpaBuilder>? change = null)
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        builder.Info["CFBundleDisplayName"] = displayName;
        if (withIcon)
            builder.WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        change?.Invoke(builder);
        _ipa = builder.Build();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(_appSlug), "app" },
            { new ByteArrayContent(_ipa), "file", "Demo.ipa" },
        };
        using var response = await Api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + App.ServerErrors());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> MintAsync(object? body = null)
    {
        using var response = await Api.PostAsJsonAsync($"/api/v1/apps/{_appSlug}/links", body ?? new { channel = "beta" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string PathOf(JsonElement link, string property) => new Uri(link.GetProperty(property).GetString()!).AbsolutePath;

    private static string Token(JsonElement link) => PathOf(link, "installPageUrl")["/i/".Length..];

    [Fact]
    public async Task LinkUrlsComeFromThePublicBaseUrlWhateverTheRequestSays()
    {
        await UploadAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/apps/{_appSlug}/links") { Content = JsonContent.Create(new { channel = "beta" }) };
        request.Headers.Host = "attacker.example";
        request.Headers.Add("X-Forwarded-Host", "attacker.example");
        request.Headers.Add("X-Forwarded-Proto", "http");

        using var response = await Api.SendAsync(request);
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var token = Token(link);
        Assert.Matches("^[A-Za-z0-9_-]{22}$", token);
        Assert.Equal($"https://ota.example.test/i/{token}", link.GetProperty("installPageUrl").GetString());
        Assert.Equal($"https://ota.example.test/i/{token}/manifest.plist", link.GetProperty("manifestUrl").GetString());
        Assert.Equal($"https://ota.example.test/i/{token}/qr.png", link.GetProperty("qrCodeUrl").GetString());
        var itms = link.GetProperty("itmsServicesUrl").GetString()!;
        Assert.Equal($"itms-services://?action=download-manifest&url=https%3A%2F%2Fota.example.test%2Fi%2F{token}%2Fmanifest.plist", itms);
        Assert.Equal(link.GetProperty("manifestUrl").GetString(), ItmsManifest.ManifestUrlOf(itms));
        Assert.Equal(App.Clock.GetUtcNow().AddHours(1).UtcDateTime, link.GetProperty("expiresAt").GetDateTime().ToUniversalTime());
    }

    [Theory]
    [InlineData("Tom & Jerry <beta>")]
    [InlineData("日本語アプリ “Beta”")]
    public async Task ManifestIsAWellFormedPlistThatPythonReadsToo(string title)
    {
        await UploadAsync(displayName: title);
        var link = await MintAsync();
        var token = Token(link);

        using var response = await Phone.GetAsync(PathOf(link, "manifestUrl"));
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType!.MediaType);
        var item = (PlistDictionary)Plist.ParseDictionary(bytes).GetArray("items")!.Single();
        var metadata = item.GetDictionary("metadata")!;
        Assert.Equal(title, metadata.GetString("title"));
        Assert.Equal("com.example.demo", metadata.GetString("bundle-identifier"));
        Assert.Equal("1.4.2", metadata.GetString("bundle-version"));
        Assert.Equal("software", metadata.GetString("kind"));
        Assert.Equal("beta · build 187", metadata.GetString("subtitle"));
        var assets = item.GetArray("assets")!.Cast<PlistDictionary>().ToDictionary(a => a.GetString("kind")!, a => a.GetString("url"));
        Assert.Equal($"https://ota.example.test/i/{token}/app.ipa", assets["software-package"]);
        Assert.Equal($"https://ota.example.test/i/{token}/icon.png", assets["display-image"]);
        Assert.Equal($"https://ota.example.test/i/{token}/icon.png", assets["full-size-image"]);

        var python = await RunPythonAsync(
            "import plistlib,sys,json; d=plistlib.loads(sys.stdin.buffer.read()); print(json.dumps(d['items'][0]['metadata']['title']))", bytes);
        Assert.Equal(title, JsonSerializer.Deserialize<string>(python));
    }

    [Fact]
    public async Task ManifestOmitsImagesWhenTheBuildHasNoIcon()
    {
        await UploadAsync(withIcon: false);
        var link = await MintAsync();

        var manifest = Plist.ParseDictionary(await Phone.GetByteArrayAsync(PathOf(link, "manifestUrl")));

        var assets = ((PlistDictionary)manifest.GetArray("items")!.Single()).GetArray("assets")!;
        Assert.Equal("software-package", ((PlistDictionary)Assert.Single(assets)).GetString("kind"));
        using var icon = await Phone.GetAsync($"/i/{Token(link)}/icon.png");
        Assert.Equal(HttpStatusCode.NotFound, icon.StatusCode);
    }

    [Fact]
    public async Task IpaAnswersHeadAndFullGetWithTheUploadedBytes()
    {
        await UploadAsync();
        var link = await MintAsync();
        var ipaPath = $"/i/{Token(link)}/app.ipa";

        using var head = await Phone.SendAsync(new HttpRequestMessage(HttpMethod.Head, ipaPath));
        using var get = await Phone.GetAsync(ipaPath);
        var body = await get.Content.ReadAsByteArrayAsync();

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(_ipa));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(_ipa.Length, head.Content.Headers.ContentLength);
        Assert.Equal("bytes", head.Headers.AcceptRanges.Single());
        Assert.Equal($"\"{sha256}\"", head.Headers.ETag!.Tag);
        Assert.Equal("application/octet-stream", head.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(body)));
        Assert.Equal("no-store", get.Headers.CacheControl!.ToString());
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("bytes=100-", 100, -1)]
    [InlineData("bytes=-100", -100, -1)]
    [InlineData("bytes=10-999999999", 10, -1)]
    public async Task SingleRangesAnswerPartialContent(string range, long from, long to)
    {
        await UploadAsync();
        var link = await MintAsync();
        var size = _ipa.Length;
        var (start, end) = (from < 0 ? size + from : from, to < 0 ? size - 1 : to);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/i/{Token(link)}/app.ipa");
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await Phone.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {start}-{end}/{size}", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(_ipa[(int)start..(int)(end + 1)], body);
    }

    [Theory]
    [InlineData("bytes=999999999-")]
    [InlineData("bytes=-0")]
    public async Task UnsatisfiableRangesAnswer416WithTheSize(string range)
    {
        await UploadAsync();
        var link = await MintAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/i/{Token(link)}/app.ipa");
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await Phone.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal($"bytes */{_ipa.Length}", response.Content.Headers.ContentRange!.ToString());
    }

    [Theory]
    [InlineData("bytes=0-9,20-29", null)]
    [InlineData("bytes=0-9", "\"0000000000000000000000000000000000000000000000000000000000000000\"")]
    [InlineData("items=0-9", null)]
    public async Task SeveralRangesAStaleIfRangeOrAnotherUnitGetTheWholeFile(string range, string? ifRange)
    {
        await UploadAsync();
        var link = await MintAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/i/{Token(link)}/app.ipa");
        request.Headers.TryAddWithoutValidation("Range", range);
        if (ifRange is not null)
            request.Headers.TryAddWithoutValidation("If-Range", ifRange);

        using var response = await Phone.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_ipa, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task LinkWorksUntilOneSecondBeforeExpiryAndIsGoneAtExpiry()
    {
        UseOwnHost();
        await UploadAsync();
        var link = await MintAsync();
        var token = Token(link);

        App.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        using var pageBefore = await Phone.GetAsync($"/i/{token}");
        using var manifestBefore = await Phone.GetAsync($"/i/{token}/manifest.plist");
        App.Clock.Advance(TimeSpan.FromSeconds(1));
        using var pageAt = await Phone.GetAsync($"/i/{token}");
        using var manifestAt = await Phone.GetAsync($"/i/{token}/manifest.plist");
        using var ipaAt = await Phone.GetAsync($"/i/{token}/app.ipa");

        Assert.Equal(HttpStatusCode.OK, pageBefore.StatusCode);
        Assert.Equal(HttpStatusCode.OK, manifestBefore.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, pageAt.StatusCode);
        Assert.Equal("text/html", pageAt.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Gone, manifestAt.StatusCode);
        Assert.Equal("text/plain", manifestAt.Content.Headers.ContentType!.MediaType);
        Assert.Contains("expired", await manifestAt.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, ipaAt.StatusCode);
    }

    [Fact]
    public async Task DownloadBegunBeforeExpiryResumesWithRangesDuringTheGrace()
    {
        UseOwnHost();
        await UploadAsync();
        var link = await MintAsync();
        var ipaPath = $"/i/{Token(link)}/app.ipa";
        using (var first = await RangeAsync(Phone, ipaPath, "bytes=0-99"))
            Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);

        App.Clock.Advance(TimeSpan.FromHours(2));
        using var resumed = await RangeAsync(Phone, ipaPath, "bytes=100-");
        using var fresh = await Phone.GetAsync(ipaPath);
        using var otherClient = App.CreateLoopbackClient();
        otherClient.DefaultRequestHeaders.UserAgent.ParseAdd("Someone/1.0");
        using var other = await RangeAsync(otherClient, ipaPath, "bytes=100-");
        App.Clock.Advance(TimeSpan.FromHours(1));
        using var afterGrace = await RangeAsync(Phone, ipaPath, "bytes=200-");

        Assert.Equal(HttpStatusCode.PartialContent, resumed.StatusCode);
        Assert.Equal(_ipa[100..], await resumed.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Gone, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, other.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, afterGrace.StatusCode);
    }

    [Fact]
    public async Task RevokingABuildStopsItsLinksAtOnce()
    {
        var buildId = await UploadAsync();
        var link = await MintAsync();
        var token = Token(link);
        using var releaseManager = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);

        using (var revoke = await releaseManager.DeleteAsync($"/api/v1/builds/{buildId}"))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var page = await Phone.GetAsync($"/i/{token}");
        using var manifest = await Phone.GetAsync($"/i/{token}/manifest.plist");
        using var ipa = await Phone.GetAsync($"/i/{token}/app.ipa");
        using var mint = await Api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { });

        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, manifest.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, ipa.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, mint.StatusCode);
        var activity = await Api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{link.GetProperty("id").GetInt64()}");
        Assert.Equal(JsonValueKind.String, activity.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task RevokedLinkIsGoneWhileOtherLinksKeepWorking()
    {
        await UploadAsync();
        var revoked = await MintAsync();
        var kept = await MintAsync();
        using var releaseManager = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);

        using (var revoke = await releaseManager.DeleteAsync($"/api/v1/links/{revoked.GetProperty("id").GetInt64()}"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using var gone = await Phone.GetAsync(PathOf(revoked, "manifestUrl"));
        using var ok = await Phone.GetAsync(PathOf(kept, "manifestUrl"));
        using var uploaderRevoke = await Api.DeleteAsync($"/api/v1/links/{kept.GetProperty("id").GetInt64()}");

        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, uploaderRevoke.StatusCode);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-token")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAB")]
    public async Task UnknownTokensAreNotFound(string token)
    {
        using var page = await Phone.GetAsync($"/i/{token}");
        using var manifest = await Phone.GetAsync($"/i/{token}/manifest.plist");
        using var ipa = await Phone.GetAsync($"/i/{token}/app.ipa");
        using var qr = await Phone.GetAsync($"/i/{token}/qr.png");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
        Assert.Equal("text/plain", manifest.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, ipa.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, qr.StatusCode);
    }

    [Fact]
    public async Task DownloadCapRefusesNewDownloadsButLetsTheOpenOneFinish()
    {
        await UploadAsync();
        var link = await MintAsync(new { channel = "beta", maxDownloads = 1 });
        var ipaPath = $"/i/{Token(link)}/app.ipa";

        using var part = await RangeAsync(Phone, ipaPath, "bytes=0-99");
        using var rest = await RangeAsync(Phone, ipaPath, "bytes=100-");
        using var again = await Phone.GetAsync(ipaPath);
        using var page = await Phone.GetAsync($"/i/{Token(link)}");

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
    }

    [Fact]
    public async Task ActivityIsRecordedOnTheLinkWithOneDownloadAcrossManyRanges()
    {
        await UploadAsync();
        var link = await MintAsync(new { channel = "beta", requestedFor = "Ada Lovelace" });
        var token = Token(link);
        using var safari = App.CreateLoopbackClient();
        safari.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SafariOnIPhone);

        (await safari.GetAsync($"/i/{token}")).Dispose();
        (await Phone.GetAsync($"/i/{token}/manifest.plist")).Dispose();
        (await Phone.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/i/{token}/app.ipa"))).Dispose();
        var half = _ipa.Length / 2;
        (await RangeAsync(Phone, $"/i/{token}/app.ipa", $"bytes=0-{half - 1}")).Dispose();
        (await RangeAsync(Phone, $"/i/{token}/app.ipa", $"bytes={half}-")).Dispose();
        // Bytes are recorded once the server has finished sending, which can be just after the client has them all;
        // manifest fetches are committed in the background, just after the response.
        var activity = await Api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{link.GetProperty("id").GetInt64()}");
        for (var wait = 0; wait < 200 && !(activity.GetProperty("downloads").EnumerateArray().All(d => d.GetProperty("completed").GetBoolean())
                 && activity.GetProperty("manifestFetches").GetArrayLength() > 0); wait++)
        {
            await Task.Delay(50);
            activity = await Api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{link.GetProperty("id").GetInt64()}");
        }

        Assert.Equal("Ada Lovelace", activity.GetProperty("requestedFor").GetProperty("userName").GetString());
        Assert.Equal("api", activity.GetProperty("requestedFor").GetProperty("platform").GetString());
        Assert.Equal(_appSlug, activity.GetProperty("app").GetString());
        Assert.Equal(SafariOnIPhone, Assert.Single(activity.GetProperty("pageViews").EnumerateArray()).GetProperty("userAgent").GetString());
        Assert.Equal(Installer, Assert.Single(activity.GetProperty("manifestFetches").EnumerateArray()).GetProperty("userAgent").GetString());
        var download = Assert.Single(activity.GetProperty("downloads").EnumerateArray());
        Assert.Equal(_ipa.Length, download.GetProperty("bytesSent").GetInt64());
        Assert.True(download.GetProperty("completed").GetBoolean());
        Assert.Equal(Installer, download.GetProperty("userAgent").GetString());
    }

    [Fact]
    public async Task ConcurrentFetchesAndMintsAreEachRecordedExactlyOnce()
    {
        await UploadAsync();
        var link = await MintAsync();
        var manifestPath = PathOf(link, "manifestUrl");

        // Rows from concurrent requests share group-committed transactions; none may be lost or written twice.
        var fetches = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await Phone.GetAsync(manifestPath);
            return response.StatusCode;
        }));
        var mints = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => MintAsync()));
        // Manifest fetches are committed in the background just after each response: wait (bounded) for all 40.
        var activity = await Api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{link.GetProperty("id").GetInt64()}");
        for (var wait = 0; wait < 200 && activity.GetProperty("manifestFetches").GetArrayLength() < 40; wait++)
        {
            await Task.Delay(50);
            activity = await Api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{link.GetProperty("id").GetInt64()}");
        }

        Assert.All(fetches, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(40, activity.GetProperty("manifestFetches").GetArrayLength());
        Assert.Equal(20, mints.Select(m => m.GetProperty("id").GetInt64()).Distinct().Count());
        Assert.Equal(20, mints.Select(m => Token(m)).Distinct().Count());
        foreach (var minted in mints)
        {
            using var page = await Phone.GetAsync(PathOf(minted, "manifestUrl"));
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
    }

    [Fact]
    public async Task InstallPageResponsesCarryTheSecurityHeaders()
    {
        await UploadAsync();
        var link = await MintAsync();

        using var page = await Phone.GetAsync(PathOf(link, "installPageUrl"));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal("no-store", page.Headers.CacheControl!.ToString());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("noindex", page.Headers.GetValues("X-Robots-Tag").Single(), StringComparison.Ordinal);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Matches("script-src 'nonce-[A-Za-z0-9+/=]{24}'", csp);
        Assert.Contains(link.GetProperty("itmsServicesUrl").GetString()!.Replace("&", "&amp;", StringComparison.Ordinal), html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QrCodeDecodesToTheInstallPage()
    {
        await UploadAsync();
        var link = await MintAsync();

        using var response = await Phone.GetAsync(PathOf(link, "qrCodeUrl"));
        var png = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        var file = Path.Combine(App.DataDirectory, "qr-under-test.png");
        await File.WriteAllBytesAsync(file, png);
        var decoded = await RunAsync("zbarimg", ["--raw", "-q", file], []);
        Assert.Equal(link.GetProperty("installPageUrl").GetString(), decoded.Trim());
    }

    [Fact]
    public async Task TokensNeverReachTheLogs()
    {
        UseOwnHost();
        await UploadAsync();
        var link = await MintAsync();
        var token = Token(link);

        (await Phone.GetAsync($"/i/{token}")).Dispose();
        (await Phone.GetAsync($"/i/{token}/manifest.plist")).Dispose();
        (await Phone.GetAsync($"/i/{token}/app.ipa")).Dispose();
        App.Clock.Advance(TimeSpan.FromHours(5));
        (await Phone.GetAsync($"/i/{token}/app.ipa")).Dispose();

        Assert.Contains(App.Logs, l => l.Contains("[3202] Minted link", StringComparison.Ordinal));
        Assert.DoesNotContain(App.Logs, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MintingForAnUnknownChannelNamesTheChannelsThatExist()
    {
        await UploadAsync(channel: "beta");

        using var response = await Api.PostAsJsonAsync($"/api/v1/apps/{_appSlug}/links", new { channel = "nightly" });
        using var unknownApp = await Api.PostAsJsonAsync("/api/v1/apps/nope/links", new { channel = "beta" });
        using var unknownBuild = await Api.PostAsJsonAsync("/api/v1/builds/999/links", new { });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Channels with builds: beta", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownApp.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownBuild.StatusCode);
    }

    private static async Task<HttpResponseMessage> RangeAsync(HttpClient client, string path, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Range", range);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static Task<string> RunPythonAsync(string code, byte[] stdin) => RunAsync("python3", ["-c", code], stdin);

    private static async Task<string> RunAsync(string file, string[] arguments, byte[] stdin)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
        return output;
    }
}

public sealed class InstallRateLimitTests
{
    [Fact]
    public async Task UnknownTokensOnInstallRoutesAreRateLimitedPerClientAddress()
    {
        using var app = new ChatOpsBotApplication(new()
        {
            ["ChatOpsBot:Install:UnknownTokenRequestsPerWindow"] = "3",
            ["ChatOpsBot:Install:Window"] = "01:00:00",
        });
        using var client = app.CreateLoopbackClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/i/AAAAAAAAAAAAAAAAAAAAAA");
            statuses.Add(response.StatusCode);
        }
        using var api = await client.GetAsync("/healthz");

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }
}

public sealed class PublicBaseUrlTests
{
    [Fact]
    public async Task PlainHttpOnLoopbackStartsWithAWarning()
    {
        using var app = new ChatOpsBotApplication(new() { ["ChatOpsBot:PublicBaseUrl"] = "http://127.0.0.1:5080" });
        using var client = app.CreateLoopbackClient();

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(app.Logs, l => l.Contains("[1003]", StringComparison.Ordinal) && l.Contains("https", StringComparison.Ordinal));
    }
}
