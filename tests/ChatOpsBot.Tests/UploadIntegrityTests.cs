using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Tests;

/// <summary>
/// Uploads that race each other or the retention job, and an upload of a revoked build's file: every created build
/// keeps a file that downloads in full. Builds that could never be installed are refused and leave nothing behind.
/// The tests share one host and use an app each; retention runs directly.
/// </summary>
public sealed class UploadIntegrityTests(UploadIntegrityTests.Host host) : IClassFixture<UploadIntegrityTests.Host>
{
    public sealed class Host : IDisposable
    {
        public Host()
        {
            App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(), services: services =>
                services.Replace(ServiceDescriptor.Singleton<IArtifactStore>(s => new HookedArtifactStore(s.GetRequiredService<FileSystemArtifactStore>()))));
            Uploader = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            ReleaseManager = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
            Phone = App.CreateLoopbackClient();
        }

        internal ChatOpsBotApplication App { get; }

        public HttpClient Uploader { get; }

        public HttpClient ReleaseManager { get; }

        public HttpClient Phone { get; }

        internal HookedArtifactStore Store => (HookedArtifactStore)App.Services.GetRequiredService<IArtifactStore>();

        public void Dispose()
        {
            Uploader.Dispose();
            ReleaseManager.Dispose();
            Phone.Dispose();
            App.Dispose();
        }
    }

    private static byte[] Ipa(string version)
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        builder.Info["CFBundleShortVersionString"] = version;
        return builder.Build();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(byte[] ipa, string app, string channel = "beta")
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        using var response = await host.Uploader.PostAsync("/api/v1/builds", form);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>Mints a link for the build through the API and downloads its IPA as a phone would.</summary>
    private async Task<(HttpStatusCode Status, byte[] Body)> DownloadAsync(long buildId)
    {
        using var minted = await host.Uploader.PostAsJsonAsync($"/api/v1/builds/{buildId}/links", new { });
        Assert.True(minted.StatusCode == HttpStatusCode.Created, await minted.Content.ReadAsStringAsync());
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var page = new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath;
        using var response = await host.Phone.GetAsync(page + "/app.ipa");
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    private async Task<long> UploadAsync(byte[] ipa, string app)
    {
        var (status, body) = await PostAsync(ipa, app);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetInt64();
    }

    private async Task RevokeAsync(long buildId)
    {
        using var response = await host.ReleaseManager.DeleteAsync($"/api/v1/builds/{buildId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> StateOfAsync(long buildId) =>
        (await host.Uploader.GetFromJsonAsync<JsonElement>($"/api/v1/builds/{buildId}")).GetProperty("state").GetString()!;

    private async Task RunRetentionAsync()
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task TwoIdenticalUploadsAtOnceCreateOneBuildWhoseFileDownloadsAndTellTheOtherItsId()
    {
        for (var round = 0; round < 25; round++)
        {
            var ipa = Ipa($"3.{round}");
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var uploads = Enumerable.Range(0, 2).Select(async _ =>
            {
                await start.Task;
                return await PostAsync(ipa, "race");
            }).ToList();
            start.SetResult();
            var results = await Task.WhenAll(uploads);

            var created = Assert.Single(results, r => r.Status == HttpStatusCode.Created);
            var refused = Assert.Single(results, r => r.Status != HttpStatusCode.Created);
            var id = created.Body.GetProperty("id").GetInt64();
            Assert.True(refused.Status == HttpStatusCode.Conflict, $"round {round}: {refused.Body}{host.App.ServerErrors()}");
            Assert.Equal(id, refused.Body.GetProperty("buildId").GetInt64());
            var (status, body) = await DownloadAsync(id);
            Assert.True(status == HttpStatusCode.OK, $"round {round}: app.ipa answered {(int)status}{host.App.ServerErrors()}");
            Assert.Equal(ipa, body);
        }
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.App.DataDirectory, "artifacts", ".tmp")));
    }

    // By name: xUnit's theory serialisation would turn a lone surrogate into U+FFFD.
    public static TheoryData<string, string> UnwritableMetadata => new()
    {
        { "CFBundleDisplayName", "nul" },
        { "CFBundleDisplayName", "u0001" },
        { "CFBundleDisplayName", "ufffe" },
        { "CFBundleDisplayName", "lone-surrogate" },
        { "CFBundleShortVersionString", "nul" },
        { "CFBundleShortVersionString", "u0001" },
        { "CFBundleShortVersionString", "ufffe" },
        { "CFBundleShortVersionString", "lone-surrogate" },
    };

    [Theory]
    [MemberData(nameof(UnwritableMetadata))]
    public async Task BuildWhoseManifestCouldNotBeWrittenIsRefusedAndNothingIsStored(string key, string kind)
    {
        var value = kind switch
        {
            "nul" => "1.0\u0000Demo",
            "u0001" => "1.\u00010",
            "ufffe" => "1.0\uFFFE",
            "lone-surrogate" => "1.0\uD800",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var ipa = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)))
            .WithInfoString(key, value).Build();
        var files = host.App.DataFiles();
        var rows = await BuildRowsAsync();

        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("unwritable"), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        using var response = await host.Uploader.PostAsync("/api/v1/builds", form);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("InvalidMetadata", problem.GetProperty("reason").GetString());
        Assert.Equal(key, problem.GetProperty("key").GetString());
        Assert.StartsWith(key, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(files, host.App.DataFiles());
        Assert.Equal(rows, await BuildRowsAsync());
    }

    private async Task<int> BuildRowsAsync()
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.CountAsync();
    }

    [Fact]
    public async Task RevokedBuildsFileUploadedAgainIsANewActiveBuild()
    {
        var ipa = Ipa("4.0");
        var revoked = await UploadAsync(ipa, "again");
        await RevokeAsync(revoked);

        var (status, body) = await PostAsync(ipa, "again");
        var (repeated, conflict) = await PostAsync(ipa, "again");

        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var uploaded = body.GetProperty("id").GetInt64();
        Assert.NotEqual(revoked, uploaded);
        Assert.Equal("active", body.GetProperty("state").GetString());
        Assert.Equal("revoked", await StateOfAsync(revoked));
        var (download, bytes) = await DownloadAsync(uploaded);
        Assert.Equal(HttpStatusCode.OK, download);
        Assert.Equal(ipa, bytes);
        Assert.Equal(HttpStatusCode.Conflict, repeated);
        Assert.Equal(uploaded, conflict.GetProperty("buildId").GetInt64());
    }

    [Fact]
    public async Task UploadThatLandsAfterRetentionDecidedAFileWasUnusedKeepsTheFile()
    {
        var ipa = Ipa("5.0");
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ipa));
        await RevokeAsync(await UploadAsync(ipa, "late"));
        (HttpStatusCode Status, JsonElement Body)? upload = null;
        // Retention has taken its snapshot (no active build uses the file) and is listing the store when the same
        // bytes are uploaded again: the deterministic form of an upload racing the job.
        host.Store.WhileListing = async listed =>
        {
            if (listed == sha256 && upload is null)
                upload = await PostAsync(ipa, "late");
        };
        try
        {
            await RunRetentionAsync();
        }
        finally
        {
            host.Store.WhileListing = null;
        }

        Assert.NotNull(upload);
        Assert.True(upload.Value.Status == HttpStatusCode.Created, upload.Value.Body.ToString());
        var (status, bytes) = await DownloadAsync(upload.Value.Body.GetProperty("id").GetInt64());
        Assert.True(status == HttpStatusCode.OK, $"app.ipa answered {(int)status}{host.App.ServerErrors()}");
        Assert.Equal(ipa, bytes);
    }

    [Fact]
    public async Task RetentionRunningWhileTheSameBytesAreUploadedNeverLeavesABuildWithoutItsFile()
    {
        for (var round = 0; round < 10; round++)
        {
            var ipa = Ipa($"6.{round}");
            await RevokeAsync(await UploadAsync(ipa, "churn"));
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var upload = Task.Run(async () =>
            {
                await start.Task;
                return await PostAsync(ipa, "churn");
            });
            var retention = Task.Run(async () =>
            {
                await start.Task;
                await RunRetentionAsync();
            });
            start.SetResult();
            await Task.WhenAll(upload, retention);

            var (created, body) = await upload;
            Assert.True(created == HttpStatusCode.Created, $"round {round}: {body}");
            var (status, bytes) = await DownloadAsync(body.GetProperty("id").GetInt64());
            Assert.True(status == HttpStatusCode.OK, $"round {round}: app.ipa answered {(int)status}{host.App.ServerErrors()}");
            Assert.Equal(ipa, bytes);
        }
    }
}

/// <summary>The real store, with a hook that runs while retention lists it.</summary>
internal sealed class HookedArtifactStore(IArtifactStore inner) : IArtifactStore
{
    public Func<string, Task>? WhileListing { get; set; }

    public Task<bool> AddAsync(string localFile, string sha256, CancellationToken cancellationToken) => inner.AddAsync(localFile, sha256, cancellationToken);

    public Task<bool> AddAsync(ReadOnlyMemory<byte> content, string sha256, CancellationToken cancellationToken) => inner.AddAsync(content, sha256, cancellationToken);

    public ValueTask<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken) => inner.OpenReadAsync(sha256, cancellationToken);

    public ValueTask<IArtifactReader?> OpenRangesAsync(string sha256, long size, CancellationToken cancellationToken) => inner.OpenRangesAsync(sha256, size, cancellationToken);

    public Task DeleteAsync(string sha256, CancellationToken cancellationToken) => inner.DeleteAsync(sha256, cancellationToken);

    public Task<string?> ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    public async IAsyncEnumerable<(string Sha256, DateTime LastWriteUtc)> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in inner.ListAsync(cancellationToken))
        {
            if (WhileListing is { } hook)
                await hook(item.Sha256);
            yield return item;
        }
    }
}
