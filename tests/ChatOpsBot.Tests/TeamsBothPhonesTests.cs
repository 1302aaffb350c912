using System.Net;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// "install" sent to the bot in Teams, for a channel with an iOS and an Android build: one card, one link for both
/// phones, whose page serves the APK to Android. Bot Framework faked on loopback, as in <see cref="TeamsEndToEndTests"/>.
/// </summary>
public sealed class TeamsBothPhonesTests(TeamsEndToEndHost host) : IClassFixture<TeamsEndToEndHost>
{
    private const string ChromeOnAndroid =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    private readonly TeamsEndToEndHost.View _view = host.NewView();

    [Fact]
    public async Task InstallInTeamsGivesOneCardWithOneLinkForBothPhones()
    {
        var (ios, _) = await _view.UploadAsync();
        var (android, apk) = await _view.UploadApkAsync();

        using (var response = await _view.PostActivityAsync(_view.Message($"<at>ChatOpsBot</at> install {_view.Slug} beta"), _view.ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await _view.NextPostAsync();

        var attachment = Assert.Single(reply.Body.GetProperty("attachments").EnumerateArray());
        var card = attachment.GetProperty("content");
        var open = Assert.Single(card.GetProperty("actions").EnumerateArray(), a => a.GetProperty("type").GetString() == "Action.OpenUrl");
        Assert.Equal("Install on iPhone or Android", open.GetProperty("title").GetString());
        Assert.Contains("iOS and Android", card.GetRawText(), StringComparison.Ordinal);
        await using (var scope = _view.App.Services.CreateAsyncScope())
        {
            var link = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.AsNoTracking()
                .SingleAsync(l => l.Build.App.Slug == _view.Slug);
            Assert.Equal((ios, android), (link.BuildId, link.SecondBuildId));
        }

        using var phone = _view.App.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", ChromeOnAndroid);
        var path = new Uri(open.GetProperty("url").GetString()!).AbsolutePath;
        var page = await phone.GetStringAsync(path);
        Assert.Contains("data-platform=\"both\"", page, StringComparison.Ordinal);
        Assert.Contains($"id=\"download\" href=\"{open.GetProperty("url").GetString()}/app.apk\"", page, StringComparison.Ordinal);
        Assert.Equal(apk, await phone.GetByteArrayAsync(path + "/app.apk"));
    }
}
