using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Data;
using ChatOpsBot.PropertyList;
using ChatOpsBot.Slack;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// Slack through the real host on loopback, with Slack's Web API and response URLs faked on loopback too. Most tests
/// share one host (<see cref="SlackEndToEndHost"/>) through <c>_shared</c>, each with its own people, channels and app.
/// Tests that move the clock, change configuration, or look at everything a host did get a host of their own
/// (<c>_app</c>, started on first use, beside <c>_slack</c>).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed partial class SlackEndToEndTests(SlackEndToEndHost host) : IClassFixture<SlackEndToEndHost>, IAsyncLifetime
{
    private const string SigningSecret = SlackEndToEndHost.SigningSecret;
    private const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

    private readonly SlackEndToEndHost.View _shared = host.NewView();
    private FakeSlackApi _slack = null!;
    private ChatOpsBotApplication? _ownApp;
    private HttpClient? _ownClient;
    private SlackEndToEndHost.View? _own;
    private byte[] _ipa = [];

    // This test's own host, started on first use (the tests beside this file use it too), and its view with the plain ids.
    private ChatOpsBotApplication _app => _ownApp ??= new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(SlackSettings()));

    private HttpClient _client => _ownClient ??= _app.CreateLoopbackClient();

    private SlackEndToEndHost.View Own => _own ??= new SlackEndToEndHost.View(_slack, () => _app, () => _client, null);

    public async Task InitializeAsync() => _slack = await FakeSlackApi.StartAsync();

    public async Task DisposeAsync()
    {
        _ownClient?.Dispose();
        if (_ownApp is not null)
            await _ownApp.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private Dictionary<string, string?> SlackSettings(Dictionary<string, string?>? extra = null) => SlackEndToEndHost.Settings(_slack, extra);

    // Requests to this test's own host, as U0ALICE in C0GENERAL about app "demo".

    private async Task<long> UploadAsync(string channel = "beta")
    {
        (var id, _ipa) = await Own.UploadAsync(channel);
        return id;
    }

    private static string Form(params (string Name, string Value)[] fields) => SlackEndToEndHost.View.Form(fields);

    private string SlashCommand(string command, string text, string teamId = "T0WORK", string userId = "U0ALICE") => Own.SlashCommand(command, text, teamId, userId);

    private string Timestamp(int secondsFromNow = 0) => Own.Timestamp(secondsFromNow);

    private Task<HttpResponseMessage> PostAsync(string path, string body, string contentType, string? timestamp = null,
        string? signature = null, bool signed = true, string? retryNum = null) =>
        Own.PostAsync(path, body, contentType, timestamp, signature, signed, retryNum);

    private Task<HttpResponseMessage> CommandAsync(string command, string text, string teamId = "T0WORK") => Own.CommandAsync(command, text, teamId);

    private Task<HttpResponseMessage> EventAsync(object envelope, string? retryNum = null) => Own.EventAsync(envelope, retryNum);

    private Task<HttpResponseMessage> InteractionAsync(object payload) => Own.InteractionAsync(payload);

    private object Mention(string eventId, string text, string? subtype = null, string? botId = null) => Own.Mention(eventId, text, subtype, botId);

    private int LinkCount()
    {
        using var scope = _app.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.Count();
    }

    /// <summary>Uploads a build of this test's app to the shared host; its id.</summary>
    private async Task<long> UploadSharedAsync(string channel = "beta")
    {
        (var id, _ipa) = await _shared.UploadAsync(channel);
        return id;
    }

    private static JsonElement.ArrayEnumerator Blocks(JsonElement message) => message.GetProperty("blocks").EnumerateArray();

    private static JsonElement InstallButton(JsonElement message) => Blocks(message)
        .Where(b => b.GetProperty("type").GetString() == "actions")
        .SelectMany(b => b.GetProperty("elements").EnumerateArray())
        .Single(e => e.GetProperty("action_id").GetString() == "open_link");

    [Fact]
    public async Task SignedInstallCommandAnswersBlockKitWhoseButtonLeadsToTheUploadedIpa()
    {
        await UploadSharedAsync();

        using var response = await _shared.CommandAsync("/install", $"{_shared.Slug} beta");
        var message = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("ephemeral", message.GetProperty("response_type").GetString());
        var blocks = Blocks(message).ToList();
        Assert.InRange(blocks.Count, 1, 50);
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.Contains("Demo & Co", blocks[0].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
        var fields = blocks.Where(b => b.TryGetProperty("fields", out _)).SelectMany(b => b.GetProperty("fields").EnumerateArray())
            .Select(f => f.GetProperty("text").GetString()!).ToList();
        Assert.Contains("*Version*\n1.4.2", fields);
        Assert.Contains("*Build*\n187", fields);
        Assert.Contains("*Channel*\nbeta", fields);
        var expires = _shared.App.Clock.GetUtcNow().AddHours(1);
        Assert.Contains(fields, f => f.Contains($"<!date^{expires.ToUnixTimeSeconds()}^{{date_short_pretty}} {{time}}|{expires:yyyy-MM-dd HH:mm} UTC>", StringComparison.Ordinal));
        var texts = blocks.Where(b => b.GetProperty("type").GetString() == "section" && b.TryGetProperty("text", out _))
            .Select(b => b.GetProperty("text").GetProperty("text").GetString()!).ToList();
        // Release notes are plain text, which Slack shows as it is.
        Assert.Contains("Fixes the <login> crash & more", texts);
        Assert.Contains(texts, t => t.StartsWith(":warning: ", StringComparison.Ordinal));

        var button = InstallButton(message);
        var installUrl = button.GetProperty("url").GetString()!;
        Assert.Equal("Install on iPhone", button.GetProperty("text").GetProperty("text").GetString());
        Assert.Equal("primary", button.GetProperty("style").GetString());
        Assert.StartsWith("https://ota.example.test/i/", installUrl, StringComparison.Ordinal);
        Assert.InRange(installUrl.Length, 1, 3000);
        Assert.InRange(button.GetProperty("text").GetProperty("text").GetString()!.Length, 1, 75);
        Assert.DoesNotContain("itms-services", message.GetRawText(), StringComparison.Ordinal);
        var image = blocks.Single(b => b.GetProperty("type").GetString() == "image");
        Assert.Equal(installUrl + "/qr.png", image.GetProperty("image_url").GetString());
        var context = blocks.Single(b => b.GetProperty("type").GetString() == "context").GetProperty("elements")[0].GetProperty("text").GetString()!;
        Assert.Contains("Safari", context, StringComparison.Ordinal);
        Assert.Contains(installUrl, context, StringComparison.Ordinal);

        using var phone = _shared.App.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SafariOnIPhone);
        var page = await phone.GetStringAsync(new Uri(installUrl).AbsolutePath);
        var itms = WebUtility.HtmlDecode(InstallHref().Match(page).Groups["href"].Value);
        var manifestUrl = ItmsManifest.ManifestUrlOf(itms)!;
        Assert.Equal(installUrl + "/manifest.plist", manifestUrl);
        var manifest = Plist.ParseDictionary(await phone.GetByteArrayAsync(new Uri(manifestUrl).AbsolutePath));
        var ipaUrl = ((PlistDictionary)manifest.GetArray("items")!.Single()).GetArray("assets")!.Cast<PlistDictionary>()
            .Single(a => a.GetString("kind") == "software-package").GetString("url")!;
        Assert.Equal(_ipa, await phone.GetByteArrayAsync(new Uri(ipaUrl).AbsolutePath));
        Assert.Empty(_shared.Calls);
    }

    [Fact]
    public async Task InstallLinkFromSlackIsMintedForThePersonWhoAsked()
    {
        await UploadSharedAsync();

        using var response = await _shared.CommandAsync("/install", $"{_shared.Slug} beta");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var link = Assert.Single(_shared.Links());
        Assert.Equal(_shared.Alice, link.UserId);
    }

    [Fact]
    public async Task BuildsCommandListsBuildsWithGetLinkButtonsCarryingTheBuildId()
    {
        var buildId = await UploadSharedAsync();

        using var response = await _shared.CommandAsync("/builds", _shared.Slug);
        var message = await response.Content.ReadFromJsonAsync<JsonElement>();

        var accessory = Blocks(message).Where(b => b.TryGetProperty("accessory", out _)).Select(b => b.GetProperty("accessory")).Single();
        Assert.Equal("get_link", accessory.GetProperty("action_id").GetString());
        Assert.Equal(buildId.ToString(CultureInfo.InvariantCulture), accessory.GetProperty("value").GetString());
        Assert.InRange(accessory.GetProperty("text").GetProperty("text").GetString()!.Length, 1, 75);
        Assert.Empty(_shared.Links());
    }

    [Fact]
    public async Task GetLinkButtonAnswersThroughTheResponseUrlWithAPersonalLink()
    {
        var buildId = await UploadSharedAsync();

        using var response = await _shared.InteractionAsync(new
        {
            type = "block_actions",
            team = new { id = "T0WORK", domain = "work" },
            user = new { id = _shared.Bob, username = "bob", team_id = "T0WORK" },
            api_app_id = "A0APP",
            container = new { type = "message", message_ts = "1.2", channel_id = _shared.General, is_ephemeral = false },
            trigger_id = "1.2.3",
            channel = new { id = _shared.General, name = "general" },
            response_url = _shared.ResponseUrl("actions/T0WORK/2/def"),
            actions = new[] { new { type = "button", action_id = "get_link", block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        });
        var call = await _shared.NextCallAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_shared.HookPath("actions/T0WORK/2/def"), call.Path);
        Assert.Null(call.Authorization);
        Assert.Equal("ephemeral", call.Json.GetProperty("response_type").GetString());
        Assert.False(call.Json.GetProperty("replace_original").GetBoolean());
        var installUrl = InstallButton(call.Json).GetProperty("url").GetString()!;
        Assert.StartsWith("https://ota.example.test/i/", installUrl, StringComparison.Ordinal);
        using var page = await _shared.Client.GetAsync(new Uri(installUrl).AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(_shared.Bob, Assert.Single(_shared.Links()).UserId);
    }

    [Fact]
    public async Task LinkButtonPressIsAcknowledgedAndNothingElse()
    {
        await UploadSharedAsync();

        using var response = await _shared.InteractionAsync(new
        {
            type = "block_actions",
            team = new { id = "T0WORK" },
            user = new { id = _shared.Alice, username = "alice" },
            response_url = _shared.ResponseUrl("actions/link"),
            actions = new[] { new { type = "button", action_id = "open_link", url = "https://ota.example.test/i/abc", action_ts = "1.3" } },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_shared.Links());
        Assert.Empty(_shared.Calls);
    }

    [Fact]
    public async Task MentionDeliveredTwiceIsAnsweredOnceWithAnEphemeralMessage()
    {
        await UploadSharedAsync();
        var install = $"<@U0BOT> install {_shared.Slug} beta";

        using var first = await _shared.EventAsync(_shared.Mention("Ev0001", install));
        using var retry = await _shared.EventAsync(_shared.Mention("Ev0001", install), retryNum: "1");
        // Recognised while answering the retry, before any work could start.
        Assert.Contains(_shared.App.Logs, l => l.Contains("[3003]", StringComparison.Ordinal) && l.Contains(_shared.EventId("Ev0001"), StringComparison.Ordinal));
        var call = await _shared.NextCallAsync();
        using var sentinel = await _shared.EventAsync(_shared.DirectMessage("Ev0002", "help"));
        var sentinelCall = await _shared.NextCallAsync();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("/api/chat.postEphemeral", call.Path);
        Assert.Equal("Bearer xoxb-test-token", call.Authorization);
        Assert.Equal("application/json; charset=utf-8", call.ContentType);
        Assert.Equal(_shared.General, call.Json.GetProperty("channel").GetString());
        Assert.Equal(_shared.Alice, call.Json.GetProperty("user").GetString());
        Assert.StartsWith("https://ota.example.test/i/", InstallButton(call.Json).GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal("/api/chat.postMessage", sentinelCall.Path);
        Assert.Single(_shared.Calls, c => c.Path == "/api/chat.postEphemeral");
        Assert.Single(_shared.Links());
    }

    [Fact]
    public async Task SubscribeMentionedInAChannelSubscribesThatChannelAndTellsEveryoneThere()
    {
        await UploadSharedAsync();

        using var response = await _shared.EventAsync(_shared.Mention("Ev0010", $"<@U0BOT> subscribe {_shared.Slug} beta"));
        var call = await _shared.NextCallAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/chat.postMessage", call.Path);
        Assert.Equal(_shared.General, call.Json.GetProperty("channel").GetString());
        Assert.StartsWith("Subscribed", call.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
        using var scope = _shared.App.Services.CreateScope();
        var subscription = Assert.Single(scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Subscriptions.Where(s => s.App.Slug == _shared.Slug));
        Assert.Equal(("slack", "T0WORK", _shared.General, "beta"), (subscription.Platform, subscription.Workspace, subscription.ConversationId, subscription.Channel));
    }

    [Fact]
    public async Task BuildsSlashCommandInASubscribedChannelShowsWhatIsAnnouncedThere()
    {
        // A host of its own: "/builds" lists every app the host has.
        await UploadAsync();
        using (await EventAsync(Mention("Ev0011", "<@U0BOT> subscribe demo beta")))
            await _slack.NextCallAsync();

        using var response = await CommandAsync("/builds", "");
        var texts = Blocks(await response.Content.ReadFromJsonAsync<JsonElement>())
            .Select(b => b.TryGetProperty("text", out var text) ? text.GetProperty("text").GetString() : null).ToList();

        Assert.Contains("Announced here", texts);
        Assert.Contains("Demo & Co (demo) beta", texts);
    }

    [Fact]
    public async Task DirectMessageIsAnsweredInTheConversationAsTyped()
    {
        await UploadSharedAsync();

        using var response = await _shared.EventAsync(_shared.DirectMessage("Ev0003", $"install {_shared.Slug} beta"));
        var call = await _shared.NextCallAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/chat.postMessage", call.Path);
        Assert.Equal(_shared.AliceDm, call.Json.GetProperty("channel").GetString());
        Assert.StartsWith("https://ota.example.test/i/", InstallButton(call.Json).GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BotMessagesAndMessageSubtypesAreIgnored()
    {
        await UploadSharedAsync();
        var install = $"install {_shared.Slug} beta";

        using var fromBot = await _shared.EventAsync(_shared.DirectMessage("Ev0010", install, botId: "B0OTHER"));
        using var edited = await _shared.EventAsync(_shared.DirectMessage("Ev0011", install, subtype: "message_changed"));
        using var botMention = await _shared.EventAsync(_shared.Mention("Ev0012", "<@U0BOT> " + install, subtype: "bot_message", botId: "B0OTHER"));
        using var sentinel = await _shared.EventAsync(_shared.DirectMessage("Ev0013", "help"));
        var call = await _shared.NextCallAsync();

        Assert.All([fromBot, edited, botMention, sentinel], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal("/api/chat.postMessage", call.Path);
        Assert.Single(_shared.Calls);
        Assert.Empty(_shared.Links());
    }

    [Fact]
    public async Task UrlVerificationEchoesTheChallenge()
    {
        using var response = await _shared.EventAsync(new { token = "deprecated", challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type = "url_verification" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", body.GetProperty("challenge").GetString());
    }

    [Fact]
    public async Task SslCheckIsAnsweredWithAnEmptyOk()
    {
        using var response = await _shared.PostAsync("/slack/commands", "token=deprecated&ssl_check=1", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/slack/events", "application/json", "{not json")]
    [InlineData("/slack/interactions", "application/x-www-form-urlencoded", "payload=%7Bnot+json")]
    [InlineData("/slack/interactions", "application/x-www-form-urlencoded", "nothing=here")]
    [InlineData("/slack/commands", "application/x-www-form-urlencoded", "text=demo")]
    public async Task SignedButMalformedPayloadIsABadRequest(string path, string contentType, string body)
    {
        using var response = await _shared.PostAsync(path, body, contentType);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        // Nothing in these payloads tells whose they are, so nothing at all may have reached Slack.
        Assert.Empty(_shared.CallsSinceTheTestBegan);
    }

    public static TheoryData<string> Routes => new() { "/slack/commands", "/slack/interactions", "/slack/events" };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task UnsignedRequestIsRejectedAndNothingHappens(string path)
    {
        await UploadSharedAsync();

        using var response = await _shared.PostAsync(path, _shared.SlashCommand("/install", $"{_shared.Slug} beta"), "application/x-www-form-urlencoded", signed: false);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_shared.Links());
    }

    [Fact]
    public async Task TamperedCommandIsRejectedAndNothingHappens()
    {
        await UploadSharedAsync();
        var timestamp = _shared.Timestamp();
        var signature = SlackSignature.Sign(SigningSecret, timestamp, Encoding.UTF8.GetBytes(_shared.SlashCommand("/builds", "")));

        using var response = await _shared.PostAsync("/slack/commands", _shared.SlashCommand("/install", $"{_shared.Slug} beta"), "application/x-www-form-urlencoded", timestamp, signature);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_shared.Links());
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task CommandSignedOutsideTheReplayWindowIsRejected(int seconds)
    {
        await UploadSharedAsync();

        using var response = await _shared.PostAsync("/slack/commands", _shared.SlashCommand("/install", $"{_shared.Slug} beta"), "application/x-www-form-urlencoded", _shared.Timestamp(seconds));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_shared.Links());
    }

    [Fact]
    public async Task ReplayedCommandIsRejectedOnceTheClockHasMovedOn()
    {
        // A host of its own: the clock moves.
        await UploadAsync();
        var timestamp = Timestamp();
        using var first = await PostAsync("/slack/commands", SlashCommand("/install", "demo beta"), "application/x-www-form-urlencoded", timestamp);

        _app.Clock.Advance(TimeSpan.FromSeconds(301));
        using var replay = await PostAsync("/slack/commands", SlashCommand("/install", "demo beta"), "application/x-www-form-urlencoded", timestamp);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(1, LinkCount());
    }

    [Fact]
    public async Task CommandFromAWorkspaceNotAllowedGetsAPoliteRefusal()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        using var app = new ChatOpsBotApplication(SlackSettings(new() { ["Slack:AllowedTeamIds:0"] = "T0WORK" }));
        using var client = app.CreateLoopbackClient();
        var body = SlashCommand("/install", "demo beta", teamId: "T0ELSEWHERE");
        var timestamp = app.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SigningSecret, timestamp, Encoding.UTF8.GetBytes(body)));

        using var response = await client.SendAsync(request);
        var message = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ephemeral", message.GetProperty("response_type").GetString());
        Assert.Equal("ChatOpsBot is not available in this workspace.", message.GetProperty("text").GetString());
    }

    [Fact]
    public async Task SlowCommandIsAcknowledgedAndFinishedThroughTheResponseUrl()
    {
        await using var slack = await FakeSlackApi.StartAsync();
        using var app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(SlackSettings(new()
        {
            ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl,
            // No time at all for the engine: every command takes the acknowledged path.
            ["Slack:CommandBudget"] = "00:00:00",
        })));
        using var client = app.CreateLoopbackClient();
        var body = Form(("team_id", "T0WORK"), ("channel_id", "C0GENERAL"), ("user_id", "U0ALICE"), ("user_name", "alice"),
            ("command", "/builds"), ("text", ""), ("response_url", slack.ResponseUrl("commands/slow")));
        var timestamp = app.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SigningSecret, timestamp, Encoding.UTF8.GetBytes(body)));

        using var response = await client.SendAsync(request);
        var acknowledgement = await response.Content.ReadFromJsonAsync<JsonElement>();
        var call = await slack.NextCallAsync();

        Assert.Equal("Working on it…", acknowledgement.GetProperty("text").GetString());
        Assert.Equal("ephemeral", acknowledgement.GetProperty("response_type").GetString());
        Assert.Equal("/hooks/commands/slow", call.Path);
        Assert.True(call.Json.GetProperty("replace_original").GetBoolean());
        Assert.Equal("ephemeral", call.Json.GetProperty("response_type").GetString());
        Assert.NotEqual("Working on it…", call.Json.GetProperty("text").GetString());
    }

    [Fact]
    public async Task WithoutASigningSecretTheSlackRoutesDoNotExist()
    {
        using var app = new ChatOpsBotApplication();
        using var client = app.CreateLoopbackClient();

        foreach (var path in new[] { "/slack/commands", "/slack/interactions", "/slack/events" })
        {
            using var response = await client.PostAsync(path, new StringContent("ssl_check=1", Encoding.UTF8, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task SigningSecretWithoutABotTokenStopsTheHostNamingTheKey()
    {
        var (exit, output) = await HostProcess.RunUntilExitAsync(new() { ["Slack__SigningSecret"] = SigningSecret });

        Assert.Equal(1, exit);
        Assert.Contains("Slack:BotToken is required when Slack:SigningSecret is set", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryUrlInTheSlackAppManifestIsARouteTheHostMaps()
    {
        var manifest = await File.ReadAllLinesAsync(SlackManifestPath());
        var urls = manifest.Select(line => ManifestUrl().Match(line)).Where(m => m.Success).Select(m => new Uri(m.Groups["url"].Value.Trim('"', '\''))).ToList();

        Assert.Equal(["/slack/commands", "/slack/commands", "/slack/commands", "/slack/commands", "/slack/events", "/slack/interactions"], urls.Select(u => u.AbsolutePath));
        Assert.All(urls, u => Assert.Equal("https://chatopsbot.example.com", u.GetLeftPart(UriPartial.Authority)));
        foreach (var url in urls)
        {
            using var response = await _shared.Client.PostAsync(url.AbsolutePath, new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using var unknown = await _shared.Client.PostAsync("/slack/unknown", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static string SlackManifestPath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "manifests", "slack", "manifest.yml");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException("manifests/slack/manifest.yml not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*(-\s*)?(url|request_url):\s*(?<url>\S+)\s*$")]
    private static partial Regex ManifestUrl();

    [GeneratedRegex("id=\"install\" href=\"(?<href>[^\"]+)\"")]
    private static partial Regex InstallHref();
}
