using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Features.Builds;

namespace ChatOpsBot.Tests.S3;

/// <summary>
/// ChatOpsBot:Delivery:Offload=Redirect: the host resolves the token, checks the link and records the download, then
/// answers the IPA's GET with 302 to a short-lived presigned URL of the object, which the store serves itself (Range
/// included). HEAD and unsatisfiable ranges stay the host's.
/// </summary>
[Trait("Provider", "Sqlite")]
public sealed class S3RedirectTests(S3rverFixture fixture) : IClassFixture<S3rverFixture>
{
    private readonly string _prefix = $"r{Guid.NewGuid():N}/";

    private ChatOpsBotApplication Host() => new(ChatOpsBotApplication.WithApiKeys(new(fixture.Server.Settings(_prefix))
    {
        ["ChatOpsBot:Delivery:Offload"] = "Redirect",
    }));

    /// <summary>A phone that does not follow redirects, so the test sees the host's answer and then follows it itself.</summary>
    private static HttpClient Phone(ChatOpsBotApplication app, HttpMessageHandler? handler = null)
    {
        using var loopback = app.CreateLoopbackClient();
        var phone = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = loopback.BaseAddress };
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", DeliverySite.Installer);
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

    private static async Task<(string Page, long LinkId, byte[] Ipa)> UploadAndMintAsync(ChatOpsBotApplication app)
    {
        var ipa = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120))).Build();
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        using var uploaded = await api.PostAsync("/api/v1/builds", form);
        Assert.True(uploaded.StatusCode == HttpStatusCode.Created, await uploaded.Content.ReadAsStringAsync() + app.ServerErrors());
        var buildId = (await uploaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var minted = await api.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { });
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        return (new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath, link.GetProperty("id").GetInt64(), ipa);
    }

    private static async Task<JsonElement[]> DownloadsAsync(ChatOpsBotApplication app, long linkId)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        return [.. (await api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{linkId}")).GetProperty("downloads").EnumerateArray()];
    }

    [Fact]
    public async Task IpaGetIsRedirectedToAPresignedUrlThatServesExactlyTheRangeAndTheDownloadIsRecorded()
    {
        using var app = Host();
        var (page, linkId, ipa) = await UploadAndMintAsync(app);
        using var phone = Phone(app);

        using var redirect = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", "bytes=1000-1999");

        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.True(redirect.Headers.CacheControl!.NoStore);
        var location = redirect.Headers.Location!;
        Assert.StartsWith(fixture.Server.ServiceUrl + "/", location.ToString(), StringComparison.Ordinal);
        Assert.Contains("X-Amz-Signature=", location.Query, StringComparison.Ordinal);
        Assert.Contains("X-Amz-Expires=300", location.Query, StringComparison.Ordinal);
        Assert.DoesNotContain(page.Split('/')[^1], location.ToString(), StringComparison.Ordinal);
        var reserved = Assert.Single(await DownloadsAsync(app, linkId));
        Assert.Equal(1000, reserved.GetProperty("bytesSent").GetInt64());
        Assert.False(reserved.GetProperty("completed").GetBoolean());

        // What the phone then fetches from the store, with the same Range.
        using var store = new HttpClient();
        using var partial = await SendAsync(store, HttpMethod.Get, location.ToString(), "bytes=1000-1999");
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(ipa.AsSpan(1000, 1000).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", partial.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", partial.Content.Headers.ContentDisposition!.DispositionType);

        // The rest of the file, before and after, completes the same download.
        using var start = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", "bytes=0-999");
        Assert.Equal(HttpStatusCode.Found, start.StatusCode);
        using var rest = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", "bytes=2000-");
        Assert.Equal(HttpStatusCode.Found, rest.StatusCode);
        var completed = Assert.Single(await DownloadsAsync(app, linkId));
        Assert.True(completed.GetProperty("completed").GetBoolean());
    }

    [Fact]
    public async Task AWholeDownloadFollowingTheRedirectGetsTheFile()
    {
        using var app = Host();
        var (page, _, ipa) = await UploadAndMintAsync(app);
        using var phone = Phone(app, new SocketsHttpHandler { AllowAutoRedirect = true });

        using var whole = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(ipa, await whole.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task HeadAndUnsatisfiableRangesAreStillAnsweredByTheHost()
    {
        using var app = Host();
        var (page, linkId, ipa) = await UploadAndMintAsync(app);
        using var phone = Phone(app);

        using var head = await SendAsync(phone, HttpMethod.Head, page + "/app.ipa");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(ipa.Length, head.Content.Headers.ContentLength);
        Assert.Null(head.Headers.Location);
        using var unsatisfiable = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa", $"bytes={ipa.Length}-");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Empty(await DownloadsAsync(app, linkId));
    }

    [Fact]
    public async Task ARevokedLinkIsRefusedBeforeAnyUrlIsSigned()
    {
        using var app = Host();
        var (page, linkId, _) = await UploadAndMintAsync(app);
        using (var releaseManager = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
            Assert.True((await releaseManager.DeleteAsync($"/api/v1/links/{linkId}")).IsSuccessStatusCode);
        using var phone = Phone(app);

        using var refused = await SendAsync(phone, HttpMethod.Get, page + "/app.ipa");

        Assert.Equal(HttpStatusCode.Gone, refused.StatusCode);
        Assert.Null(refused.Headers.Location);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("02:00:00")]
    public void RedirectLifetimeOutOfRangeIsRefusedNamingTheKey(string lifetime)
    {
        var failure = Assert.Single(DeliveryOptions.Validate(
            new DeliveryOptions { Offload = DeliveryOffload.Redirect, RedirectLifetime = TimeSpan.Parse(lifetime, System.Globalization.CultureInfo.InvariantCulture) },
            new ArtifactOptions { Provider = ArtifactProvider.S3 }));
        Assert.StartsWith("ChatOpsBot:Delivery:RedirectLifetime must be positive", failure, StringComparison.Ordinal);
    }
}
