using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Data;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.PropertyList;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// Teams through the real host on loopback, with Microsoft's side faked on loopback too. Most tests share one host
/// (<see cref="TeamsEndToEndHost"/>) through <c>_shared</c>, each as its own person in its own conversations. Tests
/// that move the clock, count every token or key the fake handed out, restart or reconfigure the host get a fake and a
/// host of their own (<c>_microsoft</c>, <c>_app</c>), started on first use.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed partial class TeamsEndToEndTests(TeamsEndToEndHost host) : IClassFixture<TeamsEndToEndHost>, IAsyncLifetime
{
    private const string Installer = "com.apple.appstored/1.0 iOS/18.1 model/iPhone15,2 hwp/t8120 build/22B83 (6; dt:281) AMS/1";

    private readonly TeamsEndToEndHost.View _shared = host.NewView();
    private FakeBotFramework? _ownMicrosoft;
    private ChatOpsBotApplication? _ownApp;
    private HttpClient? _ownConnector;
    private byte[] _ipa = [];

    // This test's own fake and host, started on first use (the dead-link tests beside this file use them too).
    private FakeBotFramework _microsoft => _ownMicrosoft ??= new FakeBotFramework();

    private ChatOpsBotApplication _app => _ownApp ??= new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(_microsoft.Settings()));

    private HttpClient _connector => _ownConnector ??= _app.CreateLoopbackClient();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _ownConnector?.Dispose();
        if (_ownApp is not null)
            await _ownApp.DisposeAsync();
        if (_ownMicrosoft is not null)
            await _ownMicrosoft.DisposeAsync();
    }

    /// <summary>Uploads a build of this test's app to the shared host; its id.</summary>
    private async Task<long> UploadSharedAsync(string displayName = "Demo")
    {
        (var id, _ipa) = await _shared.UploadAsync(displayName);
        return id;
    }

    /// <summary>Uploads a build of app "demo" to this test's own host; its id.</summary>
    private async Task<long> UploadAsync(string displayName = "Demo")
    {
        (var id, _ipa) = await UploadAsync(_app, displayName);
        return id;
    }

    private static async Task<(long Id, byte[] Ipa)> UploadAsync(ChatOpsBotApplication app, string displayName)
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        builder.Info["CFBundleDisplayName"] = displayName;
        var ipa = builder.Build();
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(ipa), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), ipa);
    }

    /// <summary>Posts to this test's own host.</summary>
    private Task<HttpResponseMessage> PostActivityAsync(JsonObject activity, string? token) => PostActivityAsync(_connector, activity, token);

    private static async Task<HttpResponseMessage> PostActivityAsync(HttpClient connector, JsonObject activity, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StringContent(activity.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        if (token is not null)
            request.Headers.Authorization = new("Bearer", token);
        return await connector.SendAsync(request);
    }

    // The conversations of the default person of a host of the test's own (FakeBotFramework.Message's).
    private const string ChannelThread = "19:releases@thread.tacv2;messageid=1700000000001";
    private static readonly string PersonalChatTarget =
        $"/teams/v3/conversations/{Uri.EscapeDataString(FakeBotFramework.PersonalConversationId("29:1user-teams-id"))}/activities";

    /// <summary>The same activity, typed in a team's channel (or a group chat) that everyone in it sees.</summary>
    private static JsonObject Elsewhere(JsonObject activity, string conversationType = "channel", string conversationId = ChannelThread)
    {
        activity["conversation"] = new JsonObject
        {
            ["id"] = conversationId,
            ["conversationType"] = conversationType,
            ["isGroup"] = true,
            ["tenantId"] = FakeBotFramework.TenantId,
            ["name"] = "Releases",
        };
        return activity;
    }

    private JsonObject GetLinkInvoke(long buildId)
    {
        var invoke = _shared.Message("");
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["replyToId"] = "1:announcement-card";
        invoke["value"] = new JsonObject
        {
            ["action"] = new JsonObject
            {
                ["type"] = "Action.Execute",
                ["verb"] = "get_link",
                ["data"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            ["trigger"] = "manual",
        };
        return invoke;
    }

    /// <summary>The 1:1 chat with this test's person was asked for the way Teams wants it, and the link card went there.</summary>
    private string AssertLinkWentToThePrivateChat(ConnectorCall create, ConnectorCall link) =>
        AssertLinkWentToThePrivateChat(create, link, _shared.UserId, _shared.PrivateChatTarget);

    private static string AssertLinkWentToThePrivateChat(ConnectorCall create, ConnectorCall link, string userId, string privateChatTarget)
    {
        Assert.Equal("/teams/v3/conversations", create.RawTarget);
        Assert.Equal(FakeBotFramework.BotId, create.Body.GetProperty("bot").GetProperty("id").GetString());
        Assert.Equal(userId, Assert.Single(create.Body.GetProperty("members").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(FakeBotFramework.TenantId, create.Body.GetProperty("channelData").GetProperty("tenant").GetProperty("id").GetString());
        Assert.False(create.Body.GetProperty("isGroup").GetBoolean());
        Assert.Equal(privateChatTarget, link.RawTarget);
        var installUrl = InstallUrl(Card(link));
        Assert.StartsWith("https://ota.example.test/i/", installUrl, StringComparison.Ordinal);
        return installUrl;
    }

    private string ValidToken() => _microsoft.Token(_app.Clock.GetUtcNow());

    private static JsonElement Card(ConnectorCall call)
    {
        var attachment = call.Body.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        return attachment.GetProperty("content");
    }

    private static string InstallUrl(JsonElement card)
    {
        var open = card.GetProperty("actions").EnumerateArray().Single(a => a.GetProperty("type").GetString() == "Action.OpenUrl");
        Assert.Equal("Install on iPhone", open.GetProperty("title").GetString());
        return open.GetProperty("url").GetString()!;
    }

    /// <summary>
    /// A valid message, answered: proves the previous, rejected request of this test left nothing behind in its
    /// conversations (on the shared host).
    /// </summary>
    private async Task AssertOnlyValidMessagesAreAnsweredAsync(int earlierPosts = 0)
    {
        using var response = await _shared.PostActivityAsync(_shared.Message("<at>ChatOpsBot</at> help", id: "1700000000999"), _shared.ValidToken());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = await _shared.NextPostAsync();
        Assert.EndsWith("/activities/1700000000999", call.RawTarget, StringComparison.Ordinal);
        Assert.Equal(earlierPosts + 1, _shared.Posts.Count);
    }

    [Fact]
    public async Task InstallMessageIsAnsweredWithACardWhoseButtonLeadsToTheUploadedIpa()
    {
        // A host of its own: the bot's first and only token request is this test's.
        await UploadAsync();

        using var response = await PostActivityAsync(_microsoft.Message("<at>ChatOpsBot</at> install demo beta"), ValidToken());
        var call = await _microsoft.NextPostAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/teams/v3/conversations/a%3A1Xk9-personal%3Bmessageid%3D1700000000001/activities/1700000000001", call.RawTarget);
        Assert.Equal("Bearer connector-token-1", call.Authorization);
        Assert.Equal("message", call.Body.GetProperty("type").GetString());
        Assert.Equal("1700000000001", call.Body.GetProperty("replyToId").GetString());
        Assert.Equal(FakeBotFramework.BotId, call.Body.GetProperty("from").GetProperty("id").GetString());
        Assert.Equal("29:1user-teams-id", call.Body.GetProperty("recipient").GetProperty("id").GetString());
        var token = Assert.Single(_microsoft.TokenRequests);
        Assert.Equal("client_credentials", token["grant_type"]);
        Assert.Equal(FakeBotFramework.AppId, token["client_id"]);
        Assert.Equal(FakeBotFramework.AppPassword, token["client_secret"]);
        Assert.Equal("https://api.botframework.com/.default", token["scope"]);

        var card = Card(call);
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        var installUrl = new Uri(InstallUrl(card));
        Assert.Equal("https://ota.example.test", installUrl.GetLeftPart(UriPartial.Authority));
        Assert.DoesNotContain("itms-services", card.GetRawText(), StringComparison.Ordinal);

        using var phone = _app.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Installer);
        var page = await phone.GetStringAsync(installUrl.AbsolutePath);
        var href = WebUtility.HtmlDecode(Regex.Match(page, "href=\"(itms-services://[^\"]+)\"").Groups[1].Value);
        var manifestUrl = new Uri(ItmsManifest.ManifestUrlOf(href)!);
        Assert.Equal(installUrl.AbsolutePath + "/manifest.plist", manifestUrl.AbsolutePath);
        var manifest = Plist.ParseDictionary(await phone.GetByteArrayAsync(manifestUrl.AbsolutePath));
        var assets = ((PlistDictionary)manifest.GetArray("items")!.Single()).GetArray("assets")!.Cast<PlistDictionary>();
        var ipaUrl = new Uri(assets.Single(a => a.GetString("kind") == "software-package").GetString("url")!);
        Assert.Equal(_ipa, await phone.GetByteArrayAsync(ipaUrl.AbsolutePath));
    }

    public enum Forgery
    {
        NoToken,
        ForgedSignature,
        UnknownKey,
        WrongIssuer,
        WrongAudience,
        Expired,
        ChannelNotEndorsed,
        ServiceUrlMismatch,
        EntraTokenFromAnotherTenant,
        UnsignedToken,
    }

    [Theory]
    [InlineData(Forgery.NoToken)]
    [InlineData(Forgery.ForgedSignature)]
    [InlineData(Forgery.UnknownKey)]
    [InlineData(Forgery.WrongIssuer)]
    [InlineData(Forgery.WrongAudience)]
    [InlineData(Forgery.Expired)]
    [InlineData(Forgery.ChannelNotEndorsed)]
    [InlineData(Forgery.ServiceUrlMismatch)]
    [InlineData(Forgery.EntraTokenFromAnotherTenant)]
    [InlineData(Forgery.UnsignedToken)]
    public async Task ForgedActivitiesAreRejectedWith401AndNothingIsPosted(Forgery forgery)
    {
        await UploadSharedAsync();
        var microsoft = _shared.Microsoft;
        var now = _shared.App.Clock.GetUtcNow();
        using var impostor = new FakeSigningKey(microsoft.ChannelKey.Kid, "msteams");
        using var rogue = new FakeSigningKey("rogue-key", "msteams");
        var token = forgery switch
        {
            Forgery.NoToken => null,
            Forgery.ForgedSignature => microsoft.Token(now, key: impostor),
            Forgery.UnknownKey => microsoft.Token(now, key: rogue),
            Forgery.WrongIssuer => microsoft.Token(now, p => p["iss"] = "https://api.botframework.example"),
            Forgery.WrongAudience => microsoft.Token(now, p => p["aud"] = "0b5e1a6f-7777-4c1e-9a3f-5d2b8e7c4a10"),
            Forgery.Expired => microsoft.Token(now.AddHours(-2)),
            // Published by the shared host's fake from the start, endorsed for Web Chat only.
            Forgery.ChannelNotEndorsed => microsoft.Token(now, key: host.WebChatKey),
            Forgery.ServiceUrlMismatch => microsoft.Token(now, p => p["serviceurl"] = "https://smba.trafficmanager.net/amer/"),
            Forgery.EntraTokenFromAnotherTenant => microsoft.Token(now, p =>
            {
                p["iss"] = "https://login.microsoftonline.com/9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a/v2.0";
                p["tid"] = "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a";
            }),
            Forgery.UnsignedToken => microsoft.Token(now).Split('.') is var parts
                ? FakeBotFramework.Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8.ToArray()) + "." + parts[1] + "."
                : null,
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };

        using var response = await _shared.PostActivityAsync(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta"), token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_shared.Posts);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Fact]
    public async Task TokenIsAcceptedUntilFiveMinutesAfterItsExpiryAndRejectedAfter()
    {
        // A host of its own: the clock moves.
        var token = ValidToken();
        _app.Clock.Advance(TimeSpan.FromMinutes(60));
        using (var response = await PostActivityAsync(_microsoft.Message("help", id: "1"), token))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _microsoft.NextPostAsync();

        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        using var late = await PostActivityAsync(_microsoft.Message("help", id: "2"), token);

        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
        Assert.Single(_microsoft.Posts);
    }

    [Fact]
    public async Task UnknownKeyIdRefreshesTheKeysAtMostOnceEveryFiveMinutes()
    {
        // A fake and a host of its own: every key fetch is counted, the published keys change and the clock moves.
        using (var response = await PostActivityAsync(_microsoft.Message("help", id: "1"), ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _microsoft.NextPostAsync();
        Assert.Equal(1, _microsoft.JwksFetches);

        using var rolled = new FakeSigningKey("rolled-key", "msteams");
        _microsoft.Published.Add(rolled);
        using (var response = await PostActivityAsync(_microsoft.Message("help", id: "2"), _microsoft.Token(_app.Clock.GetUtcNow(), key: rolled)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _microsoft.NextPostAsync();
        Assert.Equal(2, _microsoft.JwksFetches);

        using var rogue = new FakeSigningKey("rogue-key", "msteams");
        using (var response = await PostActivityAsync(_microsoft.Message("help", id: "3"), _microsoft.Token(_app.Clock.GetUtcNow(), key: rogue)))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, _microsoft.JwksFetches);
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        using (var response = await PostActivityAsync(_microsoft.Message("help", id: "4"), _microsoft.Token(_app.Clock.GetUtcNow(), key: rogue)))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(3, _microsoft.JwksFetches);
        Assert.Equal(2, _microsoft.Posts.Count);
        _microsoft.Published.Remove(rolled);
    }

    [Fact]
    public async Task EntraIssuedTokenOfTheAppsOwnTenantIsAccepted()
    {
        var token = _shared.Microsoft.Token(_shared.App.Clock.GetUtcNow(), p =>
        {
            p["iss"] = $"https://login.microsoftonline.com/{FakeBotFramework.TenantId}/v2.0";
            p["tid"] = FakeBotFramework.TenantId;
        });

        using var response = await _shared.PostActivityAsync(_shared.Message("help"), token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("What I can do", Card(await _shared.NextPostAsync()).GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActivityFromATenantThatIsNotAllowedIsRefusedAndNothingIsPosted()
    {
        using var response = await _shared.PostActivityAsync(
            _shared.Message("<at>ChatOpsBot</at> help", tenantId: "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"), _shared.ValidToken());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(_shared.Posts);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Fact]
    public async Task BotAddedToAConversationGreetsWithHelpOnce()
    {
        var update = _shared.Message("");
        update["type"] = "conversationUpdate";
        update.Remove("text");
        update.Remove("id");
        update["conversation"] = new JsonObject { ["id"] = _shared.General, ["conversationType"] = "channel", ["tenantId"] = FakeBotFramework.TenantId };
        update["membersAdded"] = new JsonArray(new JsonObject { ["id"] = FakeBotFramework.BotId });

        using (var response = await _shared.PostActivityAsync(update, _shared.ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var greeting = await _shared.NextPostAsync();
        using (var again = await _shared.PostActivityAsync(update, _shared.ValidToken()))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        Assert.Equal(_shared.GeneralTarget, greeting.RawTarget);
        Assert.Contains("What I can do", Card(greeting).GetRawText(), StringComparison.Ordinal);
        await AssertOnlyValidMessagesAreAnsweredAsync(earlierPosts: 1);
    }

    [Fact]
    public async Task ExecuteActionIsAnsweredInTheResponseBodyWithTheLinkCard()
    {
        var buildId = await UploadSharedAsync();
        var invoke = _shared.Message("");
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["value"] = new JsonObject
        {
            ["action"] = new JsonObject
            {
                ["type"] = "Action.Execute",
                ["verb"] = "get_link",
                ["data"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            ["trigger"] = "manual",
        };

        using var response = await _shared.PostActivityAsync(invoke, _shared.ValidToken());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(200, body.GetProperty("statusCode").GetInt32());
        Assert.Equal("application/vnd.microsoft.card.adaptive", body.GetProperty("type").GetString());
        Assert.StartsWith("https://ota.example.test/i/", InstallUrl(body.GetProperty("value")), StringComparison.Ordinal);
        Assert.Empty(_shared.Posts);
    }

    [Fact]
    public async Task SubmittedGetLinkIsAnsweredWithTheLinkCard()
    {
        var buildId = await UploadSharedAsync();
        var submit = _shared.Message("");
        submit["value"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        using var response = await _shared.PostActivityAsync(submit, _shared.ValidToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("https://ota.example.test/i/", InstallUrl(Card(await _shared.NextPostAsync())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildsListOffersGetLinkButtonsThatComeBackAsActions()
    {
        var buildId = await UploadSharedAsync();

        using var response = await _shared.PostActivityAsync(_shared.Message($"<at>ChatOpsBot</at>builds {_shared.Slug}"), _shared.ValidToken());
        var card = Card(await _shared.NextPostAsync());

        Assert.Equal("1.5", card.GetProperty("version").GetString());
        var raw = card.GetRawText();
        Assert.Contains("\"verb\":\"get_link\"", raw, StringComparison.Ordinal);
        Assert.Contains($"\"value\":\"{buildId}\"", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("typing")]
    [InlineData("messageReaction")]
    [InlineData("event")]
    public async Task OtherActivityTypesAreAcknowledgedAndIgnored(string type)
    {
        var activity = _shared.Message("<at>ChatOpsBot</at> help");
        activity["type"] = type;

        using var response = await _shared.PostActivityAsync(activity, _shared.ValidToken());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Fact]
    public async Task GetLinkPressedInAChannelSendsTheLinkToThePressersPrivateChatAndLeavesTheCardAsItIs()
    {
        var buildId = await UploadSharedAsync();

        using var response = await _shared.PostActivityAsync(_shared.InChannel(GetLinkInvoke(buildId)), _shared.ValidToken());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var create = await _shared.NextPostAsync();
        var link = await _shared.NextPostAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(200, body.GetProperty("statusCode").GetInt32());
        Assert.Equal("application/vnd.microsoft.activity.message", body.GetProperty("type").GetString());
        Assert.Contains("private chat", body.GetProperty("value").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("/i/", body.GetRawText(), StringComparison.Ordinal);
        AssertLinkWentToThePrivateChat(create, link);
        await AssertOnlyValidMessagesAreAnsweredAsync(earlierPosts: 2);
        Assert.DoesNotContain(_shared.Posts, p => p.RawTarget.Contains("releases", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetLinkPressedInAChannelForARevokedBuildAnswersThePresserWithAMessageAndPostsNothing()
    {
        var buildId = await UploadSharedAsync();
        using (var api = _shared.App.CreateClient(ChatOpsBotApplication.AdminKey))
            Assert.True((await api.DeleteAsync($"/api/v1/builds/{buildId}")).IsSuccessStatusCode);

        using var response = await _shared.PostActivityAsync(_shared.InChannel(GetLinkInvoke(buildId)), _shared.ValidToken());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("application/vnd.microsoft.activity.message", body.GetProperty("type").GetString());
        Assert.Contains("revoked", body.GetProperty("value").GetString(), StringComparison.Ordinal);
        await AssertOnlyValidMessagesAreAnsweredAsync();
    }

    [Theory]
    [InlineData("channel")]
    [InlineData("groupChat")]
    public async Task InstallTypedWhereOthersReadSendsTheLinkPrivatelyAndTellsTheConversationWithoutIt(string conversationType)
    {
        await UploadSharedAsync();

        using var response = await _shared.PostActivityAsync(
            _shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta"), conversationType), _shared.ValidToken());
        var create = await _shared.NextPostAsync();
        var link = await _shared.NextPostAsync();
        var note = await _shared.NextPostAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertLinkWentToThePrivateChat(create, link);
        Assert.Equal(_shared.ChannelThreadTarget, note.RawTarget);
        Assert.Contains("private chat", Card(note).GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("/i/", note.Body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmittedGetLinkInAGroupChatSendsTheLinkPrivately()
    {
        var buildId = await UploadSharedAsync();
        var submit = _shared.InChannel(_shared.Message(""), "groupChat", _shared.GroupChat);
        submit["value"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        using var response = await _shared.PostActivityAsync(submit, _shared.ValidToken());
        var create = await _shared.NextPostAsync();
        var link = await _shared.NextPostAsync();
        var note = await _shared.NextPostAsync();

        AssertLinkWentToThePrivateChat(create, link);
        Assert.Equal(_shared.GroupChatTarget, note.RawTarget);
        Assert.DoesNotContain("/i/", note.Body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenNoPrivateChatCanBeOpenedTheChannelIsToldWithoutTheLink()
    {
        await UploadSharedAsync();
        _shared.Microsoft.FailNextPost(p => p.RawTarget == "/teams/v3/conversations" && _shared.IsMine(p), 403);

        using var response = await _shared.PostActivityAsync(
            _shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> install {_shared.Slug} beta")), _shared.ValidToken());
        var create = await _shared.NextPostAsync();
        var note = await _shared.NextPostAsync();

        Assert.Equal("/teams/v3/conversations", create.RawTarget);
        Assert.Equal(403, create.Status);
        Assert.Equal(_shared.ChannelThreadTarget, note.RawTarget);
        Assert.Contains("open a private chat with you", Card(note).GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("/i/", note.Body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeInAChannelSubscribesTheChannelWithItsServiceUrlAndWithoutTheThread()
    {
        await UploadSharedAsync();

        using var response = await _shared.PostActivityAsync(
            _shared.InChannel(_shared.Message($"<at>ChatOpsBot</at> subscribe {_shared.Slug} beta")), _shared.ValidToken());
        var reply = await _shared.NextPostAsync();

        Assert.Equal(_shared.ChannelThreadTarget, reply.RawTarget);
        Assert.Contains("Subscribed", Card(reply).GetRawText(), StringComparison.Ordinal);
        using var scope = _shared.App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var subscription = Assert.Single(db.Subscriptions.AsNoTracking().Where(s => s.App.Slug == _shared.Slug));
        Assert.Equal(("teams", FakeBotFramework.TenantId, _shared.Channel, _shared.Microsoft.ServiceUrl, "Releases"),
            (subscription.Platform, subscription.Workspace, subscription.ConversationId, subscription.ServiceUrl, subscription.ConversationName));
        var remembered = Assert.Single(db.TeamsConversations.AsNoTracking(), c => c.ConversationId == _shared.Channel);
        Assert.Equal(_shared.Microsoft.ServiceUrl, remembered.ServiceUrl);
    }

    [Fact]
    public async Task RememberedConversationSurvivesARestartWithoutASecondGreetingAndCanStillBeAnnouncedTo()
    {
        // A fake and hosts of its own: the host restarts, and every post is counted.
        var dataDirectory = Directory.CreateTempSubdirectory("chatopsbot-test-").FullName;
        try
        {
            var update = _microsoft.Message("");
            update["type"] = "conversationUpdate";
            update.Remove("text");
            update.Remove("id");
            update["conversation"] = new JsonObject { ["id"] = "19:general@thread.tacv2", ["conversationType"] = "channel", ["tenantId"] = FakeBotFramework.TenantId };
            update["membersAdded"] = new JsonArray(new JsonObject { ["id"] = FakeBotFramework.BotId });

            await using (var first = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(_microsoft.Settings()), dataDirectory: dataDirectory))
            {
                using var connector = first.CreateLoopbackClient();
                using var response = await PostActivityAsync(connector, update, _microsoft.Token(first.Clock.GetUtcNow()));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains("What I can do", Card(await _microsoft.NextPostAsync()).GetRawText(), StringComparison.Ordinal);
            }

            await using var second = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(_microsoft.Settings()), dataDirectory: dataDirectory);
            using var restarted = second.CreateLoopbackClient();
            // Before anything reaches the restarted host, the remembered conversation's service URL is trusted again.
            var messenger = second.Services.GetServices<ChatOpsBot.Core.Chat.IConversationMessenger>().Single(m => m.Platform == "teams");
            var delivered = await messenger.PostAsync(
                new ChatOpsBot.Core.Chat.ConversationAddress("teams", FakeBotFramework.TenantId, "19:general@thread.tacv2", _microsoft.ServiceUrl),
                ChatOpsBot.Core.Chat.ChatReply.Message("Demo 1.0 is out"), CancellationToken.None);
            Assert.IsType<ChatOpsBot.Core.Chat.DeliveryResult.Delivered>(delivered);
            Assert.Equal("/teams/v3/conversations/19%3Ageneral%40thread.tacv2/activities", (await _microsoft.NextPostAsync()).RawTarget);

            using (var again = await PostActivityAsync(restarted, update, _microsoft.Token(second.Clock.GetUtcNow())))
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            using (var help = await PostActivityAsync(restarted, _microsoft.Message("help", id: "1700000000999"), _microsoft.Token(second.Clock.GetUtcNow())))
                Assert.Equal(HttpStatusCode.OK, help.StatusCode);
            Assert.EndsWith("/activities/1700000000999", (await _microsoft.NextPostAsync()).RawTarget, StringComparison.Ordinal);
            Assert.Equal(3, _microsoft.Posts.Count);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
            await TestProvider.RemoveDatabaseAsync(dataDirectory);
        }
    }
}
