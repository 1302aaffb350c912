using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;

namespace ChatOpsBot.Tests;

/// <summary>
/// Uploads that race each other, and an upload of a revoked build's file: every created build keeps a file that
/// downloads in full. The tests share one host and use an app each.
/// </summary>
public sealed class UploadIntegrityTests(UploadIntegrityTests.Host host) : IClassFixture<UploadIntegrityTests.Host>
{
    public sealed class Host : IDisposable
    {
        public Host()
        {
            App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys());
            Uploader = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            ReleaseManager = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
            Phone = App.CreateLoopbackClient();
        }

        internal ChatOpsBotApplication App { get; }

        public HttpClient Uploader { get; }

        public HttpClient ReleaseManager { get; }

        public HttpClient Phone { get; }

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
}
