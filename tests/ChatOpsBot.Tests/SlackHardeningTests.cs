using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using ChatOpsBot.Features.LinkMessages;
using ChatOpsBot.Slack;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// One host, Slack faked on loopback, serving workspace T0WORK only, with a build whose metadata is Slack markup.
/// The tests share it: each uses its own channels, response URLs and message timestamps, and mutates only its own app.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class SlackHardeningHost : IAsyncLifetime
{
    public const string SigningSecret = "slack-signing-secret-for-tests";
    public const string Team = "T0WORK";
    public const string Partner = "T0PARTNER";
    public const string ReleaseManager = "U0RELEASE";
    public const string DisplayName = "<!channel> <@U123> <http://evil.example|click>";
    public const string Version = "2.0 <!here>";
    public const string BuildNumber = "<#C0GENERAL>";
    public const string Notes = "Fixes <!everyone> @here <https://evil.example|the login> crash";

    internal FakeSlackApi Slack { get; private set; } = null!;

    internal ChatOpsBotApplication App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The hostile build, of app "evil" in channel beta.</summary>
    public long EvilBuildId { get; private set; }

    public async Task InitializeAsync()
    {
        Slack = await FakeSlackApi.StartAsync();
        App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(new()
        {
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:BotToken"] = "xoxb-test-token",
            ["Slack:ApiBaseUrl"] = Slack.ApiBaseUrl,
            ["Slack:ReleaseManagers:0"] = ReleaseManager,
            ["Slack:AllowedTeamIds:0"] = Team,
        }));
        Client = App.CreateLoopbackClient();
        EvilBuildId = await UploadAsync("evil", "com.example.evil");
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Slack.DisposeAsync();
    }

    /// <summary>Uploads a build whose display name, version, build number and notes are Slack markup.</summary>
    public async Task<long> UploadAsync(string app, string bundleId)
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        builder.Info["CFBundleIdentifier"] = bundleId;
        builder.Info["CFBundleDisplayName"] = DisplayName;
        builder.Info["CFBundleShortVersionString"] = Version;
        builder.Info["CFBundleVersion"] = BuildNumber;
        using var api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent(app), "app" },
            { new StringContent(Notes), "notes" },
            { new ByteArrayContent(builder.Build()), "file", "Evil.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }
}

/// <summary>
/// Issue 10, Slack: build metadata and typed text never become Slack markup in anything the bot posts; people from
/// another workspace in a Slack Connect conversation are told politely and nothing runs for them; messages with a
/// file or sent from a thread to the conversation are answered once.
/// </summary>
public sealed class SlackHardeningTests(SlackHardeningHost host) : IClassFixture<SlackHardeningHost>
{
    private const string Hostile = SlackHardeningHost.DisplayName;

    private FakeSlackApi Slack => host.Slack;

    private ChatOpsBotApplication App => host.App;

    private static string Form(params (string Name, string Value)[] fields) =>
        string.Join('&', fields.Select(f => f.Name + "=" + Uri.EscapeDataString(f.Value).Replace("%20", "+", StringComparison.Ordinal)));

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string contentType, string? retryNum = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = App.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new(contentType);
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SlackHardeningHost.SigningSecret, timestamp, bytes));
        if (retryNum is not null)
        {
            request.Headers.Add("X-Slack-Retry-Num", retryNum);
            request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
        }
        return await host.Client.SendAsync(request);
    }

    private async Task<JsonElement> CommandAsync(string command, string text, string hook, string userId = "U0ALICE")
    {
        using var response = await PostAsync("/slack/commands", Form(
            ("team_id", SlackHardeningHost.Team), ("team_domain", "work"), ("channel_id", "C0GENERAL"), ("channel_name", "general"),
            ("user_id", userId), ("user_name", "alice"), ("command", command), ("text", text), ("api_app_id", "A0APP"),
            ("response_url", Slack.ResponseUrl(hook)), ("trigger_id", "1.2.3")), "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task EventAsync(object slackEvent, string eventId, string? retryNum = null)
    {
        using var response = await PostAsync("/slack/events", JsonSerializer.Serialize(new
        {
            token = "deprecated",
            team_id = SlackHardeningHost.Team,
            api_app_id = "A0APP",
            type = "event_callback",
            event_id = eventId,
            event_time = 1795424400,
            authorizations = new[] { new { team_id = SlackHardeningHost.Team, user_id = "U0BOT", is_bot = true } },
            @event = slackEvent,
        }), "application/json", retryNum);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task MentionAsync(string eventId, string channel, string ts, string text, string user = "U0ALICE", string? userTeam = null) =>
        EventAsync(new { type = "app_mention", user, text = "<@U0BOT> " + text, ts, channel, event_ts = ts, team = userTeam ?? SlackHardeningHost.Team, user_team = userTeam }, eventId);

    private static object DirectMessage(string channel, string ts, string? text, string? subtype = null, string user = "U0ALICE",
        string? botId = null, string? threadTs = null, string? team = SlackHardeningHost.Team) =>
        new { type = "message", channel_type = "im", channel, user, text, ts, event_ts = ts, subtype, bot_id = botId, thread_ts = threadTs, team };

    private async Task<JsonElement> PressGetLinkAsync(string hook, long buildId, string userId, string userTeam)
    {
        using var response = await PostAsync("/slack/interactions", Form(("payload", JsonSerializer.Serialize(new
        {
            type = "block_actions",
            team = new { id = SlackHardeningHost.Team, domain = "work" },
            user = new { id = userId, username = "someone", team_id = userTeam },
            api_app_id = "A0APP",
            container = new { type = "message", message_ts = "1.2", channel_id = "C0SHARED", is_ephemeral = false },
            channel = new { id = "C0SHARED", name = "shared" },
            response_url = Slack.ResponseUrl(hook),
            actions = new[] { new { type = "button", action_id = ChatActions.GetLink, block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        }))), "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Slack.CallAsync(c => c.Path == "/hooks/" + hook)).Json;
    }

    private Task<FakeSlackCall> PostedToAsync(string channel, string method = "chat.postMessage") =>
        Slack.CallAsync(c => c.Path == "/api/" + method && c.Json.GetProperty("channel").GetString() == channel);

    private int CallsTo(string channel) =>
        Slack.Calls.Count(c => c.Path.StartsWith("/api/", StringComparison.Ordinal) && c.Json.TryGetProperty("channel", out var ch) && ch.GetString() == channel);

    private async Task<List<string>> LinkOwnersAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.Select(l => l.UserId).ToListAsync();
    }

    private static string Header(JsonElement message) =>
        message.GetProperty("blocks").EnumerateArray().First(b => b.GetProperty("type").GetString() == "header").GetProperty("text").GetProperty("text").GetString()!;

    private static bool HasInstallButton(JsonElement message) =>
        message.GetProperty("blocks").EnumerateArray().Any(b => b.GetProperty("type").GetString() == "actions");

    // §1: injection.

    [Fact]
    public async Task InstallAnswerShowsTheBuildsMarkupAsTextAndCarriesNoneOfIt()
    {
        var answer = await CommandAsync("/install", "evil beta", "commands/install-markup");

        SlackMarkup.AssertCarriesNoMarkup(answer);
        Assert.Equal($"{Hostile} {SlackHardeningHost.Version} ({SlackHardeningHost.BuildNumber}) · iOS", Header(answer));
        Assert.StartsWith("Your install link for &lt;!channel&gt; &lt;@\u2060U123&gt; &lt;http://evil.example|click&gt;", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(HasInstallButton(answer));
    }

    [Fact]
    public async Task BuildsAnswersCarryNoMarkupFromTheBuild()
    {
        var apps = await CommandAsync("/builds", "", "commands/builds-markup");
        var builds = await CommandAsync("/builds", "evil", "commands/builds-evil-markup");

        SlackMarkup.AssertCarriesNoMarkup(apps);
        SlackMarkup.AssertCarriesNoMarkup(builds);
        Assert.Equal($"{Hostile}: recent builds", Header(builds));
    }

    [Fact]
    public async Task SubscribeAnswerToTheWholeChannelCarriesNoMarkupFromTheBuild()
    {
        await MentionAsync("Ev-subscribe-markup", "C0SUBSCRIBE", "1795424400.000301", "subscribe evil beta");
        var call = await PostedToAsync("C0SUBSCRIBE");

        SlackMarkup.AssertCarriesNoMarkup(call.Json);
        Assert.StartsWith("Subscribed: new &lt;!channel&gt;", call.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnouncementPostCarriesNoMarkupFromTheBuild()
    {
        await MentionAsync("Ev-announce-subscribe", "C0ANNOUNCE", "1795424400.000302", "subscribe evil beta");
        await PostedToAsync("C0ANNOUNCE");
        using (var api = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var announced = await api.PostAsync($"/api/v1/builds/{host.EvilBuildId}/announcements", null))
            Assert.Equal(HttpStatusCode.Accepted, announced.StatusCode);

        await using (var scope = App.Services.CreateAsyncScope())
        {
            var delivery = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().AnnouncementDeliveries
                .Where(d => d.ConversationId == "C0ANNOUNCE").OrderBy(d => d.Id).LastAsync();
            await scope.ServiceProvider.GetRequiredService<AnnouncementDeliveryJob>().RunAsync(delivery.Id, CancellationToken.None);
        }
        var post = await Slack.CallAsync(c => c.Path == "/api/chat.postMessage" && c.Json.GetProperty("channel").GetString() == "C0ANNOUNCE"
            && c.Json.GetProperty("text").GetString()!.EndsWith("is out in beta", StringComparison.Ordinal));

        SlackMarkup.AssertCarriesNoMarkup(post.Json);
        Assert.Equal($"{Hostile} {SlackHardeningHost.Version} ({SlackHardeningHost.BuildNumber}) for iOS is out in beta", Header(post.Json));
    }

    [Fact]
    public async Task GetLinkAnswerThroughTheResponseUrlCarriesNoMarkupFromTheBuild()
    {
        var answer = await PressGetLinkAsync("actions/get-link-markup", host.EvilBuildId, "U0BOB", SlackHardeningHost.Team);

        SlackMarkup.AssertCarriesNoMarkup(answer);
        Assert.True(HasInstallButton(answer));
    }

    [Fact]
    public async Task DeadLinkReplacementThroughTheResponseUrlCarriesNoMarkup()
    {
        var buildId = await host.UploadAsync("evil-dead", "com.example.evil.dead");
        Assert.True(HasInstallButton(await CommandAsync("/install", "evil-dead beta", "commands/dead-markup")));
        using (var api = App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var revoked = await api.DeleteAsync($"/api/v1/builds/{buildId}"))
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        await using (var scope = App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<LinkMessageUpdateJob>().RunAsync(CancellationToken.None);
        var notice = await Slack.CallAsync(c => c.Path == "/hooks/commands/dead-markup");

        SlackMarkup.AssertCarriesNoMarkup(notice.Json);
        Assert.Equal("This install link for iOS was revoked. Run \"/install evil-dead beta\" for a new one.", notice.Json.GetProperty("text").GetString());
        Assert.False(HasInstallButton(notice.Json));
    }

    [Fact]
    public async Task WhatAPersonTypedIsEchoedWithoutItsMarkup()
    {
        // Slack delivers a typed "@here" as <!here>; the bot's "I don't know" echoes it.
        await EventAsync(DirectMessage("D0ECHO", "1795424400.000303", "<!here> <@U0BOB> <#C0GENERAL|general>"), "Ev-echo-markup");
        var call = await PostedToAsync("D0ECHO");

        SlackMarkup.AssertCarriesNoMarkup(call.Json);
        Assert.Contains("&lt;!here&gt;", call.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    // §7: people from another workspace in a Slack Connect conversation.

    [Fact]
    public async Task MentionByAPersonOfAnotherWorkspaceIsAnsweredPolitelyAndRunsNothing()
    {
        await MentionAsync("Ev-partner-mention", "C0SHARED", "1795424400.000304", "install evil beta", user: "U0PARTNER1", userTeam: SlackHardeningHost.Partner);
        var call = await PostedToAsync("C0SHARED", "chat.postEphemeral");

        Assert.Equal("U0PARTNER1", call.Json.GetProperty("user").GetString());
        Assert.Equal(ChatReply.OutsideOrganisation().Text, call.Json.GetProperty("text").GetString());
        Assert.False(HasInstallButton(call.Json));
        Assert.DoesNotContain("U0PARTNER1", await LinkOwnersAsync());
        Assert.Contains(App.Logs, l => l.Contains("[5100]", StringComparison.Ordinal) && l.Contains(SlackHardeningHost.Partner, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DirectMessageFromAPersonOfAnotherWorkspaceIsAnsweredPolitelyAndRunsNothing()
    {
        await EventAsync(DirectMessage("D0PARTNER", "1795424400.000305", "subscribe evil beta", user: "U0PARTNER2", team: SlackHardeningHost.Partner), "Ev-partner-dm");
        var call = await PostedToAsync("D0PARTNER");

        Assert.Equal(ChatReply.OutsideOrganisation().Text, call.Json.GetProperty("text").GetString());
        await using var scope = App.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Subscriptions.AnyAsync(s => s.ConversationId == "D0PARTNER"));
    }

    [Fact]
    public async Task GetLinkPressedByAPersonOfAnotherWorkspaceIsAnsweredPolitelyAndMintsNothing()
    {
        var answer = await PressGetLinkAsync("actions/partner-get-link", host.EvilBuildId, "U0PARTNER3", SlackHardeningHost.Partner);

        Assert.Equal(ChatReply.OutsideOrganisation().Text, answer.GetProperty("text").GetString());
        Assert.Equal("ephemeral", answer.GetProperty("response_type").GetString());
        Assert.False(answer.GetProperty("replace_original").GetBoolean());
        Assert.False(HasInstallButton(answer));
        Assert.DoesNotContain("U0PARTNER3", await LinkOwnersAsync());
    }

    [Fact]
    public async Task ColleagueInASlackConnectChannelIsServed()
    {
        await MentionAsync("Ev-colleague-mention", "C0SHARED2", "1795424400.000306", "install evil beta", user: "U0CAROL", userTeam: SlackHardeningHost.Team);
        var call = await PostedToAsync("C0SHARED2", "chat.postEphemeral");

        Assert.True(HasInstallButton(call.Json));
        Assert.Contains("U0CAROL", await LinkOwnersAsync());
    }

    // §8: messages that must be answered once, and some that must not.

    [Fact]
    public async Task DirectMessageWithAFileAttachedIsAnsweredOnceHoweverOftenItIsDelivered()
    {
        const string Ts = "1795424400.000307";
        var message = DirectMessage("D0FILE", Ts, "install evil beta", subtype: "file_share");
        await EventAsync(message, "Ev-file-1");
        await EventAsync(message, "Ev-file-1", retryNum: "1");
        await EventAsync(message, "Ev-file-2");
        // Both repeats are recognised while they are answered, before any work could start.
        Assert.Contains(App.Logs, l => l.Contains("[3003]", StringComparison.Ordinal) && l.Contains("Ev-file-1", StringComparison.Ordinal));
        Assert.Contains(App.Logs, l => l.Contains("[5101]", StringComparison.Ordinal) && l.Contains("D0FILE/" + Ts, StringComparison.Ordinal));
        var call = await PostedToAsync("D0FILE");
        await EventAsync(DirectMessage("D0FILE", "1795424400.000308", "help"), "Ev-file-sentinel");
        await Slack.CallAsync(c => c.Path == "/api/chat.postMessage" && c.Json.GetProperty("channel").GetString() == "D0FILE" && !HasInstallButton(c.Json));

        Assert.True(HasInstallButton(call.Json));
        Assert.Equal(2, CallsTo("D0FILE"));
    }

    [Fact]
    public async Task ThreadReplyAlsoSentToTheConversationIsAnsweredInItsThread()
    {
        await EventAsync(DirectMessage("D0THREAD", "1795424400.000310", "install evil beta", subtype: "thread_broadcast", threadTs: "1795424400.000309"), "Ev-thread-broadcast");
        var call = await PostedToAsync("D0THREAD");

        Assert.True(HasInstallButton(call.Json));
        Assert.Equal("1795424400.000309", call.Json.GetProperty("thread_ts").GetString());
    }

    [Fact]
    public async Task EditsDeletionsBotMessagesAndTheBotsOwnEchoesAreNotAnswered()
    {
        await EventAsync(DirectMessage("D0QUIET", "1795424400.000311", "install evil beta", subtype: "message_changed"), "Ev-quiet-edit");
        await EventAsync(DirectMessage("D0QUIET", "1795424400.000312", null, subtype: "message_deleted"), "Ev-quiet-delete");
        await EventAsync(DirectMessage("D0QUIET", "1795424400.000313", "install evil beta", subtype: "bot_message", botId: "B0OTHER"), "Ev-quiet-bot");
        await EventAsync(DirectMessage("D0QUIET", "1795424400.000314", "install evil beta", subtype: "file_share", botId: "B0OTHER"), "Ev-quiet-bot-file");
        await EventAsync(DirectMessage("D0QUIET", "1795424400.000315", "install evil beta", user: "U0BOT"), "Ev-quiet-echo");
        await EventAsync(DirectMessage("D0QUIET", "1795424400.000316", "help"), "Ev-quiet-sentinel");
        var sentinel = await PostedToAsync("D0QUIET");

        Assert.False(HasInstallButton(sentinel.Json));
        Assert.Equal(1, CallsTo("D0QUIET"));
        Assert.DoesNotContain("U0BOT", await LinkOwnersAsync());
    }
}
