using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;

namespace ChatOpsBot.Tests;

/// <summary>
/// One host with one uploaded build (display name, notes and icon that a dead link must not reveal), shared by the
/// tests of a class: each test mints links of its own, so they do not see each other's downloads.
/// </summary>
public class DeliverySite : IAsyncLifetime, IDisposable
{
    public const string Installer = "com.apple.appstored/1.0 iOS/18.1 model/iPhone15,2 hwp/t8120 build/22B83 (6; dt:281) AMS/1";
    public const string DisplayName = "Project Falcon";
    public const string AppSlug = "falcon";
    public const string Channel = "beta";
    public const string Notes = "Secret launch notes: the new pricing screen";

    public DeliverySite() : this([])
    {
    }

    protected DeliverySite(Dictionary<string, string?> settings)
    {
        App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings));
        Api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
        ReleaseManager = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
    }

    internal ChatOpsBotApplication App { get; }

    public HttpClient Api { get; }

    public HttpClient ReleaseManager { get; }

    public byte[] Ipa { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        builder.Info["CFBundleDisplayName"] = DisplayName;
        builder.WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        Ipa = builder.Build();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(Channel), "channel" },
            { new StringContent(AppSlug), "app" },
            { new StringContent(Notes), "notes" },
            { new ByteArrayContent(Ipa), "file", "Falcon.ipa" },
        };
        using var response = await Api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + App.ServerErrors());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A new link to the build, for Ada Lovelace; its token and id.</summary>
    public async Task<(string Token, long Id)> MintAsync(int? maxDownloads = null)
    {
        using var response = await Api.PostAsJsonAsync($"/api/v1/apps/{AppSlug}/links", new { channel = Channel, maxDownloads, requestedFor = "Ada Lovelace" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath["/i/".Length..];
        return (token, link.GetProperty("id").GetInt64());
    }

    /// <summary>A phone: the iOS installer's user agent, and the client address a proxy would forward, if any.</summary>
    public HttpClient Phone(string? forwardedFor = null, string userAgent = Installer)
    {
        var client = App.CreateLoopbackClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        if (forwardedFor is not null)
            client.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return client;
    }

    public static async Task<HttpResponseMessage> GetRangeAsync(HttpClient client, string path, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Range", range);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        Api.Dispose();
        ReleaseManager.Dispose();
        App.Dispose();
    }
}
