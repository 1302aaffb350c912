using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Builds.Android;
using ChatOpsBot.Data;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Android;

/// <summary>
/// Android builds through the real host on loopback: real APKs (aapt, zipalign, apksigner) uploaded through the API,
/// delivered from /i/{token}/app.apk, and asked for through Slack's /install with Slack faked on loopback. The tests
/// share one host; each uploads under an app of its own.
/// </summary>
public sealed partial class AndroidBuildTests(AndroidBuildTests.Host host) : IClassFixture<AndroidBuildTests.Host>
{
    public sealed class Host : IAsyncLifetime
    {
        private int _apps;
        private readonly Lazy<Task<byte[]>> _apk = new(() => TestApks.BuildAsync(new TestApkSpec
        {
            Resources = [.. TestApks.PlainIcons(), ("mipmap-xxxhdpi/ic_launcher.webp", TestApks.WebP)],
        }));

        internal FakeSlackApi Slack { get; private set; } = null!;

        internal ChatOpsBotApplication App { get; private set; } = null!;

        internal HttpClient Api { get; private set; } = null!;

        internal HttpClient Client { get; private set; } = null!;

        /// <summary>A signed APK (com.example.hello 1.2.3, versionCode 42, a WebP icon at the highest density), built once.</summary>
        internal Task<byte[]> ApkAsync() => _apk.Value;

        internal SlackEndToEndHost.View NewView() => new(Slack, () => App, () => Client, 500 + Interlocked.Increment(ref _apps));

        public async Task InitializeAsync()
        {
            Slack = await FakeSlackApi.StartAsync();
            App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(SlackEndToEndHost.Settings(Slack)));
            Api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            Client = App.CreateLoopbackClient();
        }

        public async Task DisposeAsync()
        {
            Api.Dispose();
            Client.Dispose();
            await App.DisposeAsync();
            await Slack.DisposeAsync();
        }
    }

    private const string ChromeOnAndroid =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    private const string WebViewOnAndroid =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36";
    private const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    private const string SlackOnAndroid =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 Slack/24.11.10.0";
    private const string FirefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private readonly ChatOpsBotApplication _app = host.App;
    private readonly HttpClient _api = host.Api;
    private readonly SlackEndToEndHost.View _view = host.NewView();

    private static MultipartFormDataContent Form(byte[] file, string app, string channel = "beta", string fileName = "build.bin")
    {
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        // The file name says nothing: the kind is read from the content.
        return new MultipartFormDataContent { { new StringContent(channel), "channel" }, { new StringContent(app), "app" }, { content, "file", fileName } };
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(byte[] file, string? app = null, string channel = "beta")
    {
        using var response = await _api.PostAsync("/api/v1/builds", Form(file, app ?? _view.Slug, channel));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<JsonElement> UploadAsync(byte[] file, string channel = "beta")
    {
        var (status, body) = await PostAsync(file, channel: channel);
        Assert.True(status == HttpStatusCode.Created, body.GetRawText());
        return body;
    }

    private int BuildRows()
    {
        using var scope = _app.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.Count();
    }

    private async Task<string> MintAsync(long buildId)
    {
        using var response = await _api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return PathOf((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("installPageUrl").GetString()!);
    }

    private static string PathOf(string installPageUrl) => new Uri(installPageUrl).AbsolutePath;

    private async Task<string> PageAsync(string path, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task UploadedApkIsRegisteredWithItsAndroidFields()
    {
        var apk = await host.ApkAsync();

        var build = await UploadAsync(apk);

        Assert.Equal("android", build.GetProperty("platform").GetString());
        Assert.Equal("com.example.hello", build.GetProperty("bundleId").GetString());
        Assert.Equal("1.2.3", build.GetProperty("version").GetString());
        Assert.Equal("42", build.GetProperty("buildNumber").GetString());
        Assert.Equal("Hello App", build.GetProperty("displayName").GetString());
        Assert.Equal("21", build.GetProperty("minimumOsVersion").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(apk)), build.GetProperty("sha256").GetString());
        Assert.True(build.GetProperty("hasIcon").GetBoolean());
        Assert.Equal(JsonValueKind.Null, build.GetProperty("profile").ValueKind);
        var android = build.GetProperty("android");
        Assert.Equal(29, android.GetProperty("targetSdkVersion").GetInt32());
        Assert.False(android.GetProperty("debuggable").GetBoolean());
        Assert.Empty(android.GetProperty("abis").EnumerateArray());
        Assert.Equal("phone", android.GetProperty("formFactor").GetString());
        var signer = Assert.Single(android.GetProperty("signers").EnumerateArray());
        Assert.Contains("CN=Test Signer", signer.GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Contains(signer.GetProperty("sha256").GetString()!, await TestApks.PrintCertsAsync(apk), StringComparison.Ordinal);

        var fetched = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{build.GetProperty("id").GetInt64()}");
        Assert.Equal(build.GetRawText(), fetched.GetRawText());
        var apps = await _api.GetFromJsonAsync<JsonElement>("/api/v1/apps");
        var app = apps.EnumerateArray().Single(a => a.GetProperty("slug").GetString() == _view.Slug);
        Assert.Equal("com.example.hello", app.GetProperty("androidPackage").GetString());
        Assert.Equal(JsonValueKind.Null, app.GetProperty("bundleId").ValueKind);
    }

    [Fact]
    public async Task UnsignedApkIsRefusedAsUnsignedAndNothingIsStored()
    {
        var unsigned = await TestApks.BuildAsync(new TestApkSpec { Signing = TestApkSigning.None });
        var files = _app.DataFiles();
        var rows = BuildRows();

        var (status, problem) = await PostAsync(unsigned);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("Unsigned", problem.GetProperty("reason").GetString());
        Assert.False(problem.TryGetProperty("offset", out _));
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());
    }

    [Fact]
    public async Task AppBundleIsRefusedWithTheAdviceToUploadAUniversalApk()
    {
        var aab = await TestApks.BuildAppBundleAsync(new TestApkSpec());
        var files = _app.DataFiles();
        var rows = BuildRows();

        var (status, problem) = await PostAsync(aab);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("AppBundle", problem.GetProperty("reason").GetString());
        Assert.Contains("bundletool build-apks --mode=universal", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());
    }

    [Fact]
    public async Task TruncatedApkIsRefusedWithTheOffsetAtFault()
    {
        var apk = await host.ApkAsync();
        var rows = BuildRows();

        var (status, problem) = await PostAsync(apk[..(apk.Length - 30)]);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.NotEqual("Unsigned", problem.GetProperty("reason").GetString());
        Assert.Equal(rows, BuildRows());
    }

    [Fact]
    public async Task LaterApkOfAnotherPackageIsRefusedButTheAppMayAlsoHaveAnIpa()
    {
        await UploadAsync(await host.ApkAsync());
        var other = await TestApks.BuildAsync(new TestApkSpec { Package = "com.example.other", VersionCode = 43 });
        var files = _app.DataFiles();
        var rows = BuildRows();

        var (status, problem) = await PostAsync(other);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("com.example.hello", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("com.example.other", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());

        // The rule is per platform: the app's first IPA fixes its iOS bundle id, whatever its package is.
        var ipa = await UploadAsync(new TestIpaBuilder().Build());
        Assert.Equal("ios", ipa.GetProperty("platform").GetString());
        Assert.Equal(JsonValueKind.Null, ipa.GetProperty("android").ValueKind);
    }

    [Fact]
    public async Task ApkIsServedByteForByteWithRangesHeadAndItsOwnHeaders()
    {
        var apk = await host.ApkAsync();
        var build = await UploadAsync(apk);
        var link = await MintAsync(build.GetProperty("id").GetInt64());

        using var whole = await host.Client.GetAsync(link + "/app.apk");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("application/vnd.android.package-archive", whole.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", whole.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"attachment; filename=\"{_view.Slug}-1.2.3.apk\"", Assert.Single(whole.Content.Headers.GetValues("Content-Disposition")));
        Assert.Equal(apk, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes", string.Join(",", whole.Headers.AcceptRanges));

        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, link + "/app.apk"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(apk.Length, head.Content.Headers.ContentLength);
        Assert.Equal("application/vnd.android.package-archive", head.Content.Headers.ContentType!.MediaType);

        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, link + "/app.apk");
        rangeRequest.Headers.Range = new RangeHeaderValue(100, 1099);
        using var range = await host.Client.SendAsync(rangeRequest);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(apk[100..1100], await range.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 100-1099/{apk.Length}", range.Content.Headers.ContentRange!.ToString());

        using var ipa = await host.Client.GetAsync(link + "/app.ipa");
        Assert.Equal(HttpStatusCode.NotFound, ipa.StatusCode);
        using var manifest = await host.Client.GetAsync(link + "/manifest.plist");
        Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);

        using var icon = await host.Client.GetAsync(link + "/icon.png");
        Assert.Equal("image/webp", icon.Content.Headers.ContentType!.MediaType);
        Assert.Equal(TestApks.WebP, await icon.Content.ReadAsByteArrayAsync());

        // Recorded like an IPA download: bytes are counted once the server has finished sending, which can be just
        // after the client has them all.
        var linkId = _view.Links().Single().Id;
        var activity = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{linkId}");
        for (var wait = 0; wait < 200 && !activity.GetProperty("downloads").EnumerateArray().Any(d => d.GetProperty("completed").GetBoolean()); wait++)
        {
            await Task.Delay(50);
            activity = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{linkId}");
        }
        Assert.Contains(activity.GetProperty("downloads").EnumerateArray(),
            d => d.GetProperty("completed").GetBoolean() && d.GetProperty("bytesSent").GetInt64() == apk.Length);

        var ipaBuild = await UploadAsync(new TestIpaBuilder().Build());
        var ipaLink = await MintAsync(ipaBuild.GetProperty("id").GetInt64());
        using var apkOfIpa = await host.Client.GetAsync(ipaLink + "/app.apk");
        Assert.Equal(HttpStatusCode.NotFound, apkOfIpa.StatusCode);
    }

    [Fact]
    public async Task AndroidBuildsPageFitsTheDeviceThatOpensIt()
    {
        var build = await UploadAsync(await host.ApkAsync());
        var link = await MintAsync(build.GetProperty("id").GetInt64());

        var android = await PageAsync(link, ChromeOnAndroid);
        Assert.Contains("data-client=\"android\"", android, StringComparison.Ordinal);
        Assert.Contains(">Download and install</a>", android, StringComparison.Ordinal);
        Assert.Contains("Allow from this source", android, StringComparison.Ordinal);
        Assert.Contains("Play Protect", android, StringComparison.Ordinal);
        Assert.Contains("Version 1.2.3 (build 42)", android, StringComparison.Ordinal);
        Assert.Contains("id=\"icon\"", android, StringComparison.Ordinal);
        Assert.DoesNotContain("itms-services", android, StringComparison.Ordinal);

        var inApp = await PageAsync(link, WebViewOnAndroid);
        Assert.Contains("data-client=\"android-in-app\"", inApp, StringComparison.Ordinal);
        Assert.Contains("Open in Chrome", inApp, StringComparison.Ordinal);
        Assert.Contains("id=\"copy-chrome\"", inApp, StringComparison.Ordinal);

        var iphone = await PageAsync(link, SafariOnIPhone);
        Assert.Contains("data-client=\"ios\"", iphone, StringComparison.Ordinal);
        Assert.Contains("This build is for Android", iphone, StringComparison.Ordinal);

        var desktop = await PageAsync(link, FirefoxOnLinux);
        Assert.Contains("data-client=\"desktop\"", desktop, StringComparison.Ordinal);
        Assert.Contains("Scan with your Android phone", desktop, StringComparison.Ordinal);
        Assert.Contains(link + "/qr.png\"", desktop, StringComparison.Ordinal);

        // And an iOS build opened on Android says that it is for iPhone.
        var ipaBuild = await UploadAsync(new TestIpaBuilder().Build());
        var ipaPage = await PageAsync(await MintAsync(ipaBuild.GetProperty("id").GetInt64()), ChromeOnAndroid);
        Assert.Contains("data-client=\"android\"", ipaPage, StringComparison.Ordinal);
        Assert.Contains("This build is for iPhone and iPad", ipaPage, StringComparison.Ordinal);
        Assert.DoesNotContain("Download and install", ipaPage, StringComparison.Ordinal);
    }

    [GeneratedRegex("id=\"download\" href=\"(?<href>[^\"]+)\"")]
    private static partial Regex DownloadHref();
}

public sealed class AndroidOpenApiTests
{
    [Fact]
    public async Task OpenApiDescribesTheBuildsPlatformAndItsAndroidFields()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        var document = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;

        var schemas = document.GetProperty("components").GetProperty("schemas");
        var build = schemas.GetProperty("BuildResponse").GetProperty("properties");
        Assert.Contains("android", build.GetProperty("platform").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(build.TryGetProperty("android", out _));
        var android = schemas.GetProperty("AndroidResponse").GetProperty("properties");
        Assert.Equal(["targetSdkVersion", "debuggable", "abis", "formFactor", "signers"], android.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["subject", "sha256"], schemas.GetProperty("SignerResponse").GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Contains(".apk", document.GetProperty("paths").GetProperty("/api/v1/builds").GetProperty("post").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }
}
