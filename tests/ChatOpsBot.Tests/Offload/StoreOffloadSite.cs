using System.Net;
using System.Security.Cryptography;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Tests.S3;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Offload;

/// <summary>
/// Two hosts on one s3rver with the same build: one with <c>ChatOpsBot:Delivery:Offload=XAccelRedirect</c> behind a
/// real nginx whose object-store location fetches the object itself, and one that streams it from the store (<c>None</c>),
/// reached directly, whose answers are what a phone must see through nginx too. The offloaded host and nginx reach
/// the store through <see cref="S3Proxy"/>, which records what the store was asked and can fail requests.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class StoreOffloadSite : IAsyncLifetime
{
    public const string Installer = DeliverySite.Installer;

    private ProductMeasurements? _measurements;

    internal S3rverServer S3 { get; private set; } = null!;

    internal S3Proxy Store { get; private set; } = null!;

    /// <summary>The offloaded host's key prefix in the bucket.</summary>
    public string Prefix { get; } = $"o{Guid.NewGuid():N}/";

    internal ChatOpsBotApplication Direct { get; private set; } = null!;

    internal ChatOpsBotApplication Offloaded { get; private set; } = null!;

    internal NginxServer Nginx { get; private set; } = null!;

    public byte[] Ipa { get; private set; } = [];

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Ipa));

    /// <summary>The object's path as nginx asks for it, path-style.</summary>
    public string ObjectPath => $"/{S3rverServer.Bucket}/{Prefix}{Sha256[..2]}/{Sha256}";

    /// <summary>The offloaded host's install funnel and other product measurements.</summary>
    internal ProductMeasurements Measurements => _measurements ??= new ProductMeasurements(Offloaded.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    public async Task InitializeAsync()
    {
        S3 = await S3rverServer.StartAsync();
        Store = await S3Proxy.StartAsync(S3.ServiceUrl);
        Direct = new(ChatOpsBotApplication.WithApiKeys(S3.Settings($"d{Guid.NewGuid():N}/")));
        var offloaded = S3.Settings(Prefix);
        offloaded["ChatOpsBot:Artifacts:S3:ServiceUrl"] = Store.ServiceUrl;
        offloaded["ChatOpsBot:Delivery:Offload"] = "XAccelRedirect";
        Offloaded = new(ChatOpsBotApplication.WithApiKeys(offloaded));

        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        // Incompressible, so the file takes several reads from the store.
        builder.WithAppFile("Payload.bin", RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17));
        Ipa = builder.Build();
        foreach (var app in new[] { Direct, Offloaded })
            await UploadAsync(app, Ipa);
        using var host = Offloaded.CreateLoopbackClient();
        Nginx = await NginxServer.StartAsync(host.BaseAddress!, Offloaded.DataDirectory, store: new Uri(Store.ServiceUrl));
        _ = Measurements;
    }

    internal static async Task UploadAsync(ChatOpsBotApplication app, byte[] ipa, string channel = "beta")
    {
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(OffloadSite.AppSlug), "app" },
            { new ByteArrayContent(ipa), "file", "Falcon.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync() + app.ServerErrors());
    }

    /// <summary>A phone talking to the offloaded host through nginx.</summary>
    public HttpClient PhoneThroughNginx() => Nginx.CreateClient(Installer);

    /// <summary>What the store was asked for this site's object, through the proxy.</summary>
    internal IEnumerable<ReceivedRequest> ObjectRequests() => Store.Received.Where(r => r.PathAndQuery.Split('?')[0] == ObjectPath);

    public async Task DisposeAsync()
    {
        _measurements?.Dispose();
        Nginx?.Dispose();
        Direct?.Dispose();
        Offloaded?.Dispose();
        if (Store is not null)
            await Store.DisposeAsync();
        if (S3 is not null)
            await S3.DisposeAsync();
    }
}
