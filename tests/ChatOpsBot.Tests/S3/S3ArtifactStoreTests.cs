using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.S3;

/// <summary>One s3rver for the tests of a class; every host keeps its objects under a prefix of its own.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    internal S3rverServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await S3rverServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// ChatOpsBot:Artifacts:Provider=S3 against a real S3-compatible server (s3rver): uploads land in the bucket and
/// nowhere on disk, installs read ranges of the object, retention deletes objects no active build uses, a store that
/// fails mid-upload leaves nothing behind, and two hosts without a shared directory serve each other's builds. The
/// provider of the database matters little here, so these run on SQLite only.
/// </summary>
[Trait("Provider", "Sqlite")]
public sealed class S3ArtifactStoreTests(S3rverFixture fixture) : IClassFixture<S3rverFixture>
{
    private const string Installer = DeliverySite.Installer;

    private readonly string _prefix = $"t{Guid.NewGuid():N}/";

    private S3rverServer S3 => fixture.Server;

    private ChatOpsBotApplication Host(Dictionary<string, string?>? extra = null, string? serviceUrl = null, string? dataDirectory = null)
    {
        var settings = S3.Settings(_prefix);
        if (serviceUrl is not null)
            settings["ChatOpsBot:Artifacts:S3:ServiceUrl"] = serviceUrl;
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings), dataDirectory: dataDirectory);
    }

    private static byte[] Ipa(string version = "1.0", int payloadBytes = 0)
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        builder.Info["CFBundleShortVersionString"] = version;
        if (payloadBytes > 0)
        {
            // Random bytes do not compress: the IPA is at least this large.
            var payload = new byte[payloadBytes];
            new Random(payloadBytes).NextBytes(payload);
            builder.WithAppFile("payload.bin", payload);
        }
        return builder.Build();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient api, byte[] ipa, string app = "demo", string channel = "beta")
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        var response = await api.PostAsync("/api/v1/builds", form);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<JsonElement> UploadAsync(ChatOpsBotApplication app, byte[] ipa, string channel = "beta")
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var response = await PostAsync(api, ipa, channel: channel);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + app.ServerErrors());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A new link to the build: the path of its install page, /i/{token}.</summary>
    private static async Task<string> MintAsync(ChatOpsBotApplication app, long buildId) => (await MintLinkAsync(app, buildId)).Page;

    private static async Task<(string Page, long Id)> MintLinkAsync(ChatOpsBotApplication app, long buildId)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var minted = await api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { });
        Assert.True(minted.StatusCode == HttpStatusCode.Created, await minted.Content.ReadAsStringAsync());
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        return (new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath, link.GetProperty("id").GetInt64());
    }

    private static HttpClient Phone(ChatOpsBotApplication app)
    {
        var phone = app.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Installer);
        return phone;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? range = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (range is not null)
            request.Headers.TryAddWithoutValidation("Range", range);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private string KeyOf(byte[] content) => KeyOf(Convert.ToHexStringLower(SHA256.HashData(content)));

    private string KeyOf(string sha256) => $"{_prefix}{sha256[..2]}/{sha256}";

    [Fact]
    public async Task UploadThroughTheApiLandsInTheBucketAndLeavesNoArtifactFileOnDisk()
    {
        using var app = Host();
        var ipa = Ipa();

        var build = await UploadAsync(app, ipa);

        var sha256 = build.GetProperty("sha256").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ipa)), sha256);
        var objects = await S3.ObjectsAsync(_prefix);
        Assert.Equal(2, objects.Count); // the IPA and its icon
        Assert.Equal(ipa.Length, objects[KeyOf(sha256)]);
        Assert.Equal(ipa, await S3.GetAsync(KeyOf(sha256)));
        Assert.Empty(app.DataFiles());
    }

    [Fact]
    public async Task IpaLargerThanAPartIsStoredAsAMultipartUploadAndDownloadsWhole()
    {
        using var app = Host(new() { ["ChatOpsBot:Artifacts:S3:PartSize"] = (5 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var ipa = Ipa(payloadBytes: 11 * 1024 * 1024);

        var build = await UploadAsync(app, ipa);
        var page = await MintAsync(app, build.GetProperty("id").GetInt64());
        using var phone = Phone(app);
        using var download = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");

        Assert.True(download.StatusCode == HttpStatusCode.OK, $"{download.StatusCode}{app.ServerErrors()}");
        Assert.Equal(ipa, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal(ipa, await S3.GetAsync(KeyOf(ipa)));
        Assert.Empty(app.DataFiles());
    }

    [Fact]
    public async Task InstallPageManifestIconAndIpaServeFromTheBucketWithHeadASingleRangeAndUnsatisfiableRanges()
    {
        // Through a proxy that records what the host asks of the store.
        await using var proxy = await S3Proxy.StartAsync(S3.ServiceUrl);
        using var app = Host(serviceUrl: proxy.ServiceUrl);
        var ipa = Ipa();
        var build = await UploadAsync(app, ipa);
        var page = await MintAsync(app, build.GetProperty("id").GetInt64());
        using var phone = Phone(app);

        using var html = await SendAsync(phone, HttpMethod.Get, page);
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        using var manifest = await SendAsync(phone, HttpMethod.Get, page + "/manifest.plist");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Contains(page + "/app.ipa", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var before = proxy.RequestsFor(KeyOf(ipa)).Count();
        using var head = await SendAsync(phone, HttpMethod.Head, page + "/app.ipa");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(ipa.Length, head.Content.Headers.ContentLength);
        Assert.Equal("bytes", head.Headers.AcceptRanges.Single());
        using var unsatisfiable = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", $"bytes={ipa.Length}-");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal($"bytes */{ipa.Length}", unsatisfiable.Content.Headers.ContentRange!.ToString());
        // Both answered from the build's row: nothing was asked of the store.
        Assert.Equal(before, proxy.RequestsFor(KeyOf(ipa)).Count());

        using var partial = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", "bytes=100-1099");
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal($"bytes 100-1099/{ipa.Length}", partial.Content.Headers.ContentRange!.ToString());
        Assert.Equal(ipa.AsSpan(100, 1000).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        using var suffix = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", "bytes=-10");
        Assert.Equal(HttpStatusCode.PartialContent, suffix.StatusCode);
        Assert.Equal(ipa[^10..], await suffix.Content.ReadAsByteArrayAsync());
        using var whole = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(ipa, await whole.Content.ReadAsByteArrayAsync());

        using var icon = await SendAsync(phone, HttpMethod.Get, page + "/icon.png");
        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/png", icon.Content.Headers.ContentType!.MediaType);
        var iconKey = (await S3.ObjectsAsync(_prefix)).Keys.Single(k => k != KeyOf(ipa));
        Assert.Equal(await S3.GetAsync(iconKey), await icon.Content.ReadAsByteArrayAsync());
        // The announcement cards' icon URL reads the same object.
        using var cardIcon = await SendAsync(phone, HttpMethod.Get, $"/icons/{iconKey.Split('/')[^1]}.png");
        Assert.Equal(HttpStatusCode.OK, cardIcon.StatusCode);
        Assert.Equal(await S3.GetAsync(iconKey), await cardIcon.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task RetentionDeletesTheObjectNoActiveBuildUsesAndKeepsTheOnesInUse()
    {
        using var app = Host(new()
        {
            ["ChatOpsBot:Retention:KeepBuildsPerChannel"] = "1",
            ["ChatOpsBot:Retention:MinAge"] = "00:00:00",
        });
        var (old, current) = (Ipa("1.0"), Ipa("2.0"));
        await UploadAsync(app, old);
        var kept = await UploadAsync(app, current);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var iconKey = (await S3.ObjectsAsync(_prefix)).Keys.Single(k => k != KeyOf(old) && k != KeyOf(current));

        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);

        var objects = await S3.ObjectsAsync(_prefix);
        Assert.DoesNotContain(KeyOf(old), objects.Keys);
        // The newest build's IPA, and the icon both builds share, which the newest still uses.
        Assert.Equal(new[] { iconKey, KeyOf(current) }.Order(StringComparer.Ordinal), objects.Keys.Order(StringComparer.Ordinal));
        var page = await MintAsync(app, kept.GetProperty("id").GetInt64());
        using var phone = Phone(app);
        using var download = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");
        Assert.Equal(current, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task UploadWhoseStoreFailsMidwayAnswers503AndLeavesNoRowObjectOrTemporaryFileAndTheHostKeepsServing()
    {
        await using var proxy = await S3Proxy.StartAsync(S3.ServiceUrl);
        // The store takes the first part of the multipart upload and fails the second, every time it is sent.
        proxy.Fails = request => HttpMethods.IsPut(request.Method) && request.Query["partNumber"] == "2";
        using var app = Host(new() { ["ChatOpsBot:Artifacts:S3:PartSize"] = (5 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            serviceUrl: proxy.ServiceUrl);
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        var ipa = Ipa(payloadBytes: 11 * 1024 * 1024);

        using var response = await PostAsync(api, ipa);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Contains("nothing was stored", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(proxy.Requests, r => r.StartsWith("PUT ", StringComparison.Ordinal) && r.Contains("partNumber=1", StringComparison.Ordinal));
        // The failed upload was abandoned (s3rver does not implement the abort; a real store drops the parts).
        Assert.Contains(proxy.Requests, r => r.StartsWith("DELETE ", StringComparison.Ordinal) && r.Contains("uploadId=", StringComparison.Ordinal));
        Assert.Empty(await S3.ObjectsAsync(_prefix));
        Assert.Empty(app.DataFiles());
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.CountAsync());

        proxy.Fails = _ => false;
        using var again = await PostAsync(api, ipa);
        Assert.True(again.StatusCode == HttpStatusCode.Created, await again.Content.ReadAsStringAsync());
        Assert.Equal(ipa, await S3.GetAsync(KeyOf(ipa)));
        using var ready = await app.CreateLoopbackClient().GetAsync("/readyz");
        Assert.True(ready.StatusCode == HttpStatusCode.OK, await ready.Content.ReadAsStringAsync() + app.ServerErrors());
    }

    [Fact]
    public async Task DownloadWhileTheStoreFailsAnswers503AndCountsNoDownload()
    {
        await using var proxy = await S3Proxy.StartAsync(S3.ServiceUrl);
        using var app = Host(serviceUrl: proxy.ServiceUrl);
        var ipa = Ipa();
        var build = await UploadAsync(app, ipa);
        var (page, linkId) = await MintLinkAsync(app, build.GetProperty("id").GetInt64());
        using var phone = Phone(app);
        proxy.Fails = request => HttpMethods.IsGet(request.Method);

        using var failed = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType!.MediaType);
        Assert.True(failed.Headers.CacheControl!.NoStore);
        proxy.Fails = _ => false;
        using var served = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");
        Assert.Equal(ipa, await served.Content.ReadAsByteArrayAsync());
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        // One download, the one that went through: the failed attempt was never reserved.
        var download = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{linkId}")).GetProperty("downloads").EnumerateArray().Single();
        Assert.True(download.GetProperty("completed").GetBoolean());
        Assert.Equal(ipa.Length, download.GetProperty("bytesSent").GetInt64());
    }

    [Fact]
    public async Task ReadinessIs503WhileTheBucketCannotBeReachedAnd200OnceItCan()
    {
        await using var proxy = await S3Proxy.StartAsync(S3.ServiceUrl);
        using var app = Host(serviceUrl: proxy.ServiceUrl);
        using var client = app.CreateLoopbackClient();
        proxy.Fails = _ => true;

        using var down = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);

        proxy.Fails = _ => false;
        using var up = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
    }

    [Fact]
    public async Task BuildUploadedThroughOneHostInstallsThroughAnotherWithADataDirectoryOfItsOwn()
    {
        // Two replicas: one database (here a SQLite file both open), one bucket, and nothing else shared.
        var shared = Directory.CreateTempSubdirectory("chatopsbot-s3-shared-").FullName;
        try
        {
            var database = new Dictionary<string, string?> { ["ChatOpsBot:Database:ConnectionString"] = $"Data Source={Path.Combine(shared, "chatopsbot.db")}" };
            using var first = Host(database);
            using var second = Host(database);
            Assert.NotEqual(first.DataDirectory, second.DataDirectory);
            var ipa = Ipa();

            var build = await UploadAsync(first, ipa);
            var page = await MintAsync(second, build.GetProperty("id").GetInt64());
            using var phone = Phone(second);

            using var manifest = await SendAsync(phone, HttpMethod.Get, page + "/manifest.plist");
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            using var partial = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", "bytes=0-99");
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal(ipa[..100], await partial.Content.ReadAsByteArrayAsync());
            using var whole = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");
            Assert.Equal(ipa, await whole.Content.ReadAsByteArrayAsync());
            using var icon = await SendAsync(phone, HttpMethod.Get, page + "/icon.png");
            Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
            Assert.Empty(first.DataFiles());
            Assert.Empty(second.DataFiles());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(shared, recursive: true);
        }
    }
}
