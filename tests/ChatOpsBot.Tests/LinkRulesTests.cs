using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// The rules that chat and the HTTP API both apply, asked through both against one registry: which channel an app
/// without a named channel means, and how long a download begun in time may go on. Each test uses an app of its own.
/// </summary>
public sealed class LinkRulesTests(LinkRulesTests.Host host) : IClassFixture<LinkRulesTests.Host>
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

    private static readonly ChatUser Ada = new("slack", "T1", "U1", "Ada", IsReleaseManager: false);

    /// <summary>Uploads a build a minute after the previous upload, so "the newest upload" is never a tie unless asked for.</summary>
    private async Task<long> UploadAsync(string app, string channel, string version, bool sameMoment = false)
    {
        if (!sameMoment)
            host.App.Clock.Advance(TimeSpan.FromMinutes(1));
        var ipa = new TestIpaBuilder();
        ipa.Info["CFBundleShortVersionString"] = version;
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(app), "app" },
            { new ByteArrayContent(ipa.Build()), "file", "Demo.ipa" },
        };
        using var response = await host.Uploader.PostAsync("/api/v1/builds", form);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetInt64();
    }

    private async Task RevokeAsync(long buildId)
    {
        using var response = await host.ReleaseManager.DeleteAsync($"/api/v1/builds/{buildId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task ClearDefaultChannelAsync(string app)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        var cleared = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Apps.Where(a => a.Slug == app)
            .ExecuteUpdateAsync(a => a.SetProperty(x => x.DefaultChannel, (string?)null));
        Assert.Equal(1, cleared);
    }

    /// <summary>"install &lt;app&gt;" in chat: the build its link installs, or the sentence that says why there is none.</summary>
    private async Task<(long? BuildId, string Text)> InstallInChatAsync(string app)
    {
        ChatReply reply;
        await using (var scope = host.App.Services.CreateAsyncScope())
            reply = await scope.ServiceProvider.GetRequiredService<ChatEngine>().HandleAsync(new ChatCommand(Ada, $"install {app}"), CancellationToken.None);
        if (reply.LinkIds.Count == 0)
            return (null, reply.Text);
        var link = await host.Uploader.GetFromJsonAsync<JsonElement>($"/api/v1/links/{Assert.Single(reply.LinkIds)}");
        return (link.GetProperty("buildId").GetInt64(), reply.Text);
    }

    /// <summary><c>POST /api/v1/apps/{app}/links</c> without a channel: the build of the minted link, or the problem's status and detail.</summary>
    private async Task<(long? BuildId, HttpStatusCode Status, string? Detail)> MintThroughApiAsync(string app)
    {
        using var response = await host.Uploader.PostAsJsonAsync($"/api/v1/apps/{app}/links", new { });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.StatusCode == HttpStatusCode.Created
            ? (body.GetProperty("buildId").GetInt64(), response.StatusCode, null)
            : (null, response.StatusCode, body.GetProperty("detail").GetString());
    }

    private async Task AssertChatAndApiInstallAsync(string app, long expected)
    {
        var chat = await InstallInChatAsync(app);
        var api = await MintThroughApiAsync(app);
        Assert.True(chat.BuildId == expected, $"chat: {chat.Text}");
        Assert.True(api.BuildId == expected, $"API: {api.Status} {api.Detail}");
    }

    [Fact]
    public async Task ChatAndTheApiUseTheDefaultChannelWhileItHasAnActiveBuild()
    {
        var beta = await UploadAsync("rules-default", "beta", "1.0");
        await UploadAsync("rules-default", "qa", "1.1");

        await AssertChatAndApiInstallAsync("rules-default", beta);
    }

    [Fact]
    public async Task ChatAndTheApiFallBackToTheChannelWithTheNewestUploadWhenTheDefaultChannelHasNoActiveBuild()
    {
        var beta = await UploadAsync("rules-revoked", "beta", "1.0");
        await UploadAsync("rules-revoked", "alpha", "1.1");
        var nightly = await UploadAsync("rules-revoked", "nightly", "1.2");
        await RevokeAsync(beta);

        await AssertChatAndApiInstallAsync("rules-revoked", nightly);
    }

    [Fact]
    public async Task ChatAndTheApiFallBackToTheChannelWithTheNewestUploadWhenTheAppHasNoDefaultChannel()
    {
        await UploadAsync("rules-none", "alpha", "1.0");
        await UploadAsync("rules-none", "qa", "1.1");
        var nightly = await UploadAsync("rules-none", "nightly", "1.2");
        await ClearDefaultChannelAsync("rules-none");

        await AssertChatAndApiInstallAsync("rules-none", nightly);
    }

    [Fact]
    public async Task ChatAndTheApiChooseTheSameChannelWhenTheNewestUploadsAreATie()
    {
        var alpha = await UploadAsync("rules-tie", "alpha", "1.0");
        await UploadAsync("rules-tie", "zulu", "1.1", sameMoment: true);
        await ClearDefaultChannelAsync("rules-tie");

        await AssertChatAndApiInstallAsync("rules-tie", alpha);
    }

    [Fact]
    public async Task ChatAndTheApiBothRefuseAnAppWithoutActiveBuildsAndMintNothing()
    {
        await RevokeAsync(await UploadAsync("rules-empty", "beta", "1.0"));
        await ClearDefaultChannelAsync("rules-empty");

        var chat = await InstallInChatAsync("rules-empty");
        var api = await MintThroughApiAsync("rules-empty");

        Assert.Null(chat.BuildId);
        Assert.Equal("Demo & Co has no builds yet.", chat.Text);
        Assert.Null(api.BuildId);
        Assert.Equal(HttpStatusCode.NotFound, api.Status);
        Assert.Equal("'rules-empty' has no active builds.", api.Detail);
        await using var scope = host.App.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.AnyAsync(l => l.Build.App.Slug == "rules-empty"));
    }

    [Fact]
    public async Task ADownloadBegunInTimeContinuesUntilOneSecondBeforeTheGraceEndsAndIsGoneAtItsEnd()
    {
        await UploadAsync("rules-grace", "beta", "1.0");
        using var minted = await host.Uploader.PostAsJsonAsync("/api/v1/apps/rules-grace/links", new { });
        var link = await minted.Content.ReadFromJsonAsync<JsonElement>();
        var ipa = new Uri(link.GetProperty("installPageUrl").GetString()!).AbsolutePath + "/app.ipa";
        using (var begun = await DeliverySite.GetRangeAsync(host.Phone, ipa, "bytes=0-99"))
            Assert.Equal(HttpStatusCode.PartialContent, begun.StatusCode);

        // Lifetime one hour, grace two hours, both by default.
        host.App.Clock.Advance(TimeSpan.FromHours(3) - TimeSpan.FromSeconds(1));
        using var justBefore = await DeliverySite.GetRangeAsync(host.Phone, ipa, "bytes=100-199");
        host.App.Clock.Advance(TimeSpan.FromSeconds(1));
        using var atTheEnd = await DeliverySite.GetRangeAsync(host.Phone, ipa, "bytes=200-299");

        Assert.Equal(HttpStatusCode.PartialContent, justBefore.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, atTheEnd.StatusCode);
        Assert.Equal("This install link has expired. Ask the bot for a new one.", await atTheEnd.Content.ReadAsStringAsync());
    }
}
