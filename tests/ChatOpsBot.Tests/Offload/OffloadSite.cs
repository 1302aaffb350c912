using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Offload;

/// <summary>
/// Two hosts with the same build: one with <c>ChatOpsBot:Delivery:Offload=XAccelRedirect</c> behind a real nginx
/// that sends the bytes, and one that streams them itself (<c>None</c>, the default), reached directly, whose answers
/// are what a phone must see through nginx too. Tests mint links of their own, so they do not see each other's downloads.
/// </summary>
public sealed class OffloadSite : IAsyncLifetime, IDisposable
{
    public const string Installer = DeliverySite.Installer;
    public const string AppSlug = "falcon";

    private ProductMeasurements? _measurements;

    internal ChatOpsBotApplication Direct { get; } = new(ChatOpsBotApplication.WithApiKeys());

    internal ChatOpsBotApplication Offloaded { get; } = new(ChatOpsBotApplication.WithApiKeys(new()
    {
        ["ChatOpsBot:Delivery:Offload"] = "XAccelRedirect",
    }));

    internal NginxServer Nginx { get; private set; } = null!;

    public byte[] Ipa { get; private set; } = [];

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Ipa));

    /// <summary>The offloaded host's install funnel and other product measurements.</summary>
    internal ProductMeasurements Measurements => _measurements ??= new ProductMeasurements(Offloaded.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    public async Task InitializeAsync()
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        // Incompressible, so the file is large enough for sendfile to take several writes.
        builder.WithAppFile("Payload.bin", RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17));
        Ipa = builder.Build();
        foreach (var app in new[] { Direct, Offloaded })
            await UploadAsync(app, Ipa);
        using var host = Offloaded.CreateLoopbackClient();
        Nginx = await NginxServer.StartAsync(host.BaseAddress!, Offloaded.DataDirectory);
        _ = Measurements;
    }

    private static async Task UploadAsync(ChatOpsBotApplication app, byte[] ipa)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent(AppSlug), "app" },
            { new ByteArrayContent(ipa), "file", "Falcon.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + app.ServerErrors());
    }

    /// <summary>A new link on <paramref name="app"/>; its token and id.</summary>
    internal static async Task<(string Token, long Id)> MintAsync(ChatOpsBotApplication app, int? maxDownloads = null)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var response = await api.PostAsJsonAsync($"/api/v1/apps/{AppSlug}/links", new { channel = "beta", maxDownloads, requestedFor = "Ada Lovelace" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var link = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath["/i/".Length..];
        return (token, link.GetProperty("id").GetInt64());
    }

    /// <summary>The downloads <paramref name="app"/> recorded on a link.</summary>
    internal static async Task<List<JsonElement>> DownloadsAsync(ChatOpsBotApplication app, long linkId)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        var activity = await api.GetFromJsonAsync<JsonElement>($"/api/v1/links/{linkId}");
        return [.. activity.GetProperty("downloads").EnumerateArray()];
    }

    /// <summary>A phone talking to the offloaded host through nginx.</summary>
    public HttpClient PhoneThroughNginx() => Nginx.CreateClient(Installer);

    /// <summary>A phone talking straight to <paramref name="app"/>'s Kestrel.</summary>
    internal static HttpClient PhoneStraightTo(ChatOpsBotApplication app)
    {
        var client = app.CreateLoopbackClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Installer);
        return client;
    }

    public void Dispose()
    {
        _measurements?.Dispose();
        Nginx?.Dispose();
        Direct.Dispose();
        Offloaded.Dispose();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
