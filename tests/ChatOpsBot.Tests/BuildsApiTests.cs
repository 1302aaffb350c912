using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// The builds API on one host that the tests of the class share; xUnit runs them one after another. Each test uploads
/// under an app of its own (only the upload that shows the slug derived from the display name uses that slug), and
/// "changes nothing" means the files and build rows a test finds before its request are all there are after it.
/// </summary>
public sealed class BuildsApiTests(BuildsApiTests.Host host) : IClassFixture<BuildsApiTests.Host>
{
    public sealed class Host : IDisposable
    {
        private int _apps;

        public Host()
        {
            App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(new() { ["ChatOpsBot:Uploads:MaxBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            Client = App.CreateClient(ChatOpsBotApplication.UploaderKey);
        }

        internal ChatOpsBotApplication App { get; }

        public HttpClient Client { get; }

        /// <summary>An app name no other test on this host uploads to.</summary>
        public string NewAppSlug() => "demo-" + Interlocked.Increment(ref _apps).ToString(System.Globalization.CultureInfo.InvariantCulture);

        public void Dispose()
        {
            Client.Dispose();
            App.Dispose();
        }
    }

    private readonly ChatOpsBotApplication _app = host.App;
    private readonly HttpClient _client = host.Client;
    private readonly string _appSlug = host.NewAppSlug();

    private const int MaxBytes = 32_000_000;

    private static byte[] AdHocIpa(string version = "1.4.2", string bundleId = "com.example.demo", bool nestedBundles = false)
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        if (nestedBundles)
        {
            builder.WithNestedBundlesFirst()
                .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)))
                .WithAppFile("AppIcon60x60@3x.png", TestPng.EncodeCrushed(RgbaImage.Sample(180, 180)));
        }
        builder.Info["CFBundleShortVersionString"] = version;
        builder.Info["CFBundleIdentifier"] = bundleId;
        return builder.Build();
    }

    private static MultipartFormDataContent Form(byte[]? ipa, string? channel = "beta", string? app = null, string? notes = null)
    {
        var form = new MultipartFormDataContent();
        if (channel is not null)
            form.Add(new StringContent(channel), "channel");
        if (app is not null)
            form.Add(new StringContent(app), "app");
        if (notes is not null)
            form.Add(new StringContent(notes), "notes");
        if (ipa is not null)
        {
            var file = new ByteArrayContent(ipa);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "file", "Demo.ipa");
        }
        return form;
    }

    private async Task<JsonElement> UploadAsync(byte[] ipa, string channel = "beta", string? app = null, string? notes = null)
    {
        using var response = await _client.PostAsync("/api/v1/builds", Form(ipa, channel, app, notes));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private int BuildRows()
    {
        using var scope = _app.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.Count();
    }

    [Fact]
    public async Task UploadRegistersTheBuildAndStoresTheIpaByItsSha256()
    {
        var ipa = AdHocIpa(nestedBundles: true);
        var before = _app.DataFiles();

        using var response = await _client.PostAsync("/api/v1/builds", Form(ipa, notes: "Fixes the login crash."));
        var build = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(ipa));
        Assert.Equal($"/api/v1/builds/{build.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);
        Assert.Equal("demo-co", build.GetProperty("app").GetString());
        Assert.Equal("beta", build.GetProperty("channel").GetString());
        Assert.Equal("1.4.2", build.GetProperty("version").GetString());
        Assert.Equal("187", build.GetProperty("buildNumber").GetString());
        Assert.Equal("com.example.demo", build.GetProperty("bundleId").GetString());
        Assert.Equal("Demo & Co", build.GetProperty("displayName").GetString());
        Assert.Equal("16.0", build.GetProperty("minimumOsVersion").GetString());
        Assert.Equal(sha256, build.GetProperty("sha256").GetString());
        Assert.Equal(ipa.Length, build.GetProperty("size").GetInt64());
        Assert.Equal("ci", build.GetProperty("uploadedBy").GetString());
        Assert.Equal("Fixes the login crash.", build.GetProperty("notes").GetString());
        Assert.Equal("active", build.GetProperty("state").GetString());
        Assert.EndsWith("Z", build.GetProperty("uploadedAt").GetString(), StringComparison.Ordinal);
        var profile = build.GetProperty("profile");
        Assert.Equal("adHoc", profile.GetProperty("type").GetString());
        Assert.Equal("Ad Hoc Profile", profile.GetProperty("name").GetString());
        Assert.Equal(3, profile.GetProperty("deviceCount").GetInt32());
        Assert.Equal("2027-01-15T09:30:00Z", profile.GetProperty("expiresAt").GetString());
        Assert.NotNull(profile.GetProperty("teamId").GetString());
        Assert.True(build.GetProperty("hasIcon").GetBoolean());
        // Only this test's build has an icon or these bytes: the upload added exactly the IPA and its icon.
        var added = _app.DataFiles().Except(before).ToArray();
        Assert.Contains(added, f => f.EndsWith(sha256, StringComparison.Ordinal));
        var icon = Assert.Single(added, f => !f.EndsWith(sha256, StringComparison.Ordinal));
        var iconBytes = await File.ReadAllBytesAsync(Path.Combine(_app.DataDirectory, icon));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(iconBytes)), Path.GetFileName(icon));
        var decoded = PythonPng.Decode(iconBytes);
        Assert.Equal((180, 180), (decoded.Width, decoded.Height));
        Assert.DoesNotContain("CgBI", decoded.Chunks);

        var stored = Path.Combine(_app.DataDirectory, "artifacts", sha256[..2], sha256);
        Assert.Equal(ipa, await File.ReadAllBytesAsync(stored));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_app.DataDirectory, "artifacts", ".tmp")));

        var fetched = await _client.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{build.GetProperty("id").GetInt64()}");
        Assert.Equal(sha256, fetched.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task SameFileInTheSameChannelIsRefusedWithTheExistingBuildId()
    {
        var ipa = AdHocIpa();
        var first = await UploadAsync(ipa, app: _appSlug);
        var files = _app.DataFiles();
        var rows = BuildRows();

        using var response = await _client.PostAsync("/api/v1/builds", Form(ipa, app: _appSlug));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(first.GetProperty("id").GetInt64(), problem.GetProperty("buildId").GetInt64());
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());
    }

    [Fact]
    public async Task SameFileInAnotherChannelIsStoredOnce()
    {
        var ipa = AdHocIpa();
        await UploadAsync(ipa, "beta", app: _appSlug);
        var files = _app.DataFiles();
        var rows = BuildRows();

        var second = await UploadAsync(ipa, "qa", app: _appSlug);

        Assert.Equal("qa", second.GetProperty("channel").GetString());
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows + 1, BuildRows());
    }

    [Fact]
    public async Task AnAppsBundleIdIsFixedByItsFirstBuild()
    {
        await UploadAsync(AdHocIpa(), app: _appSlug);
        var files = _app.DataFiles();
        var rows = BuildRows();

        using var response = await _client.PostAsync("/api/v1/builds", Form(AdHocIpa(bundleId: "com.other.app"), app: _appSlug));
        var problem = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("com.example.demo", problem, StringComparison.Ordinal);
        Assert.Contains("com.other.app", problem, StringComparison.Ordinal);
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());
    }

    [Fact]
    public async Task AppsAndBuildsAreListedNewestFirst()
    {
        await UploadAsync(AdHocIpa("1.0"), "beta", app: _appSlug);
        await UploadAsync(AdHocIpa("1.1"), "beta", app: _appSlug);
        await UploadAsync(AdHocIpa("2.0"), "qa", app: _appSlug);

        var apps = await _client.GetFromJsonAsync<JsonElement>("/api/v1/apps");
        var beta = await _client.GetFromJsonAsync<JsonElement>($"/api/v1/apps/{_appSlug}/builds?channel=beta");
        var all = await _client.GetFromJsonAsync<JsonElement>($"/api/v1/apps/{_appSlug}/builds");

        // Other tests' apps are listed too; this one is listed once, with its channels.
        var app = Assert.Single(apps.EnumerateArray(), a => a.GetProperty("slug").GetString() == _appSlug);
        Assert.Equal("beta", app.GetProperty("defaultChannel").GetString());
        Assert.Equal(["beta", "qa"], app.GetProperty("channels").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["1.1", "1.0"], beta.EnumerateArray().Select(b => b.GetProperty("version").GetString()));
        Assert.Equal(["2.0", "1.1", "1.0"], all.EnumerateArray().Select(b => b.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task UnknownAppsAndBuildsAnswerNotFoundProblems()
    {
        using var app = await _client.GetAsync("/api/v1/apps/nope/builds");
        using var build = await _client.GetAsync("/api/v1/builds/999");

        Assert.Equal(HttpStatusCode.NotFound, app.StatusCode);
        Assert.Equal("application/problem+json", app.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, build.StatusCode);
        Assert.Equal("application/problem+json", build.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task ReleaseManagersRevokeBuildsAndUploadersMayNot()
    {
        var build = await UploadAsync(AdHocIpa(), app: _appSlug);
        var id = build.GetProperty("id").GetInt64();
        using var releaseManager = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);

        using var refused = await _client.DeleteAsync($"/api/v1/builds/{id}");
        using var revoked = await releaseManager.DeleteAsync($"/api/v1/builds/{id}");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("revoked", (await revoked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal("revoked", (await _client.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{id}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task AdminKeyConfiguredByHashMayRevoke()
    {
        var build = await UploadAsync(AdHocIpa(), app: _appSlug);
        using var admin = _app.CreateClient(ChatOpsBotApplication.AdminKey);

        using var revoked = await admin.DeleteAsync($"/api/v1/builds/{build.GetProperty("id").GetInt64()}");

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key-0123456789")]
    [InlineData("uploader-key-012345678")]
    public async Task MissingOrWrongApiKeysAreUnauthorized(string? key)
    {
        using var client = _app.CreateLoopbackClient();
        if (key is not null)
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var rows = BuildRows();

        using var list = await client.GetAsync("/api/v1/apps");
        using var upload = await client.PostAsync("/api/v1/builds", Form(AdHocIpa()));

        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.Equal("application/problem+json", list.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, upload.StatusCode);
        Assert.Equal(rows, BuildRows());
    }

    public static TheoryData<string, int, string> BadUploads => new()
    {
        { "not-a-zip", 422, "NotAZip" },
        { "zip-without-app", 422, "NoApp" },
        { "app-without-info-plist", 422, "MissingInfoPlist" },
        { "simulator", 422, "SimulatorBuild" },
        { "app-store", 422, "AppStoreProfile" },
        { "invalid-info-plist", 422, "InvalidInfoPlist" },
        { "oversized-info-plist", 422, "EntryTooLarge" },
        { "empty-file", 422, "Empty file" },
        { "missing-file", 400, "no 'file' part" },
        { "two-files", 400, "exactly one 'file'" },
        { "missing-channel", 400, "'channel' field is required" },
        { "bad-channel", 400, "'channel' field is required" },
        { "bad-app", 400, "'app' field must be" },
        { "long-notes", 400, "limited to 10000 characters" },
        { "too-large", 413, "ChatOpsBot:Uploads:MaxBytes" },
        { "not-multipart", 415, "multipart/form-data" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task BadUploadsAnswerAProblemAndChangeNothing(string kind, int status, string expected)
    {
        await UploadAsync(AdHocIpa("0.9"), app: _appSlug);
        var files = _app.DataFiles();
        var rows = BuildRows();

        HttpContent content = kind switch
        {
            "not-a-zip" => Form(Encoding.UTF8.GetBytes("this is not a zip file at all")),
            "zip-without-app" => Form(ZipWithout()),
            "app-without-info-plist" => Form(new TestIpaBuilder().WithoutInfoPlist().Build()),
            "simulator" => Form(WithInfo(b => b.Info["CFBundleSupportedPlatforms"] = new PropertyList.PlistArray { "iPhoneSimulator" })),
            "app-store" => Form(new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AppStore())).Build()),
            "invalid-info-plist" => Form(new TestIpaBuilder().WithInfoPlistBytes(Encoding.UTF8.GetBytes("bplist00 truncated garbage")).Build()),
            "oversized-info-plist" => Form(new TestIpaBuilder().WithInfoPlistBytes(new byte[1024 * 1024 + 1]).Build()),
            "empty-file" => Form([]),
            "missing-file" => Form(null),
            "two-files" => TwoFiles(),
            "missing-channel" => Form(AdHocIpa(), channel: null),
            "bad-channel" => Form(AdHocIpa(), channel: "Beta Channel"),
            "bad-app" => Form(AdHocIpa(), app: "../etc"),
            "long-notes" => Form(AdHocIpa(), notes: new string('n', 10_001)),
            "too-large" => Form(RandomBytes(MaxBytes + 1)),
            "not-multipart" => new ByteArrayContent(AdHocIpa()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        using var response = await _client.PostAsync("/api/v1/builds", content);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, body, StringComparison.Ordinal);
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());
        using var health = await _client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        static byte[] WithInfo(Action<TestIpaBuilder> change)
        {
            var builder = new TestIpaBuilder();
            change(builder);
            return builder.Build();
        }

        static byte[] ZipWithout()
        {
            using var zip = new MemoryStream();
            using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            {
                using var entry = new StreamWriter(archive.CreateEntry("README.txt").Open());
                entry.Write("not an app");
            }
            return zip.ToArray();
        }

        static MultipartFormDataContent TwoFiles()
        {
            var form = Form(AdHocIpa());
            form.Add(new ByteArrayContent(AdHocIpa("2.0")), "file", "Other.ipa");
            return form;
        }
    }

    [Fact]
    public async Task ClientThatDisconnectsMidUploadLeavesNothingBehind()
    {
        await UploadAsync(AdHocIpa("0.9"), app: _appSlug);
        var files = _app.DataFiles();
        var rows = BuildRows();
        var ipa = AdHocIpa();
        const string boundary = "b0undary";
        var head = Encoding.ASCII.GetBytes(
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nbeta\r\n" +
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Demo.ipa\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        var declaredLength = head.Length + ipa.Length + tail.Length;

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _client.BaseAddress!.Port);
            var stream = tcp.GetStream();
            var request = Encoding.ASCII.GetBytes(
                $"POST /api/v1/builds HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {ChatOpsBotApplication.UploaderKey}\r\n" +
                $"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declaredLength}\r\n\r\n");
            await stream.WriteAsync(request);
            await stream.WriteAsync(head);
            await stream.WriteAsync(ipa.AsMemory(0, ipa.Length / 2));
            await stream.FlushAsync();
            tcp.Client.Shutdown(SocketShutdown.Send);
            // Whatever the server answers (or nothing, once the connection is gone), the upload is incomplete.
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
                // The server may reset the connection instead of answering; either way the upload is over.
            }
        }

        using var health = await _client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        // The server notices the broken upload on its own schedule; wait (bounded) for its clean-up, then compare.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!files.SequenceEqual(_app.DataFiles()) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(files, _app.DataFiles());
        Assert.Equal(rows, BuildRows());
    }

    [Fact]
    public async Task OpenApiDocumentDescribesTheBuildsApi()
    {
        using var anonymous = _app.CreateLoopbackClient();

        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/builds", out var builds));
        Assert.True(builds.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/v1/apps", out _));
        Assert.True(paths.TryGetProperty("/api/v1/apps/{app}/builds", out _));
        Assert.True(paths.TryGetProperty("/api/v1/builds/{id}", out var build));
        Assert.True(build.TryGetProperty("delete", out _));
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(7).NextBytes(bytes);
        return bytes;
    }
}
