using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Slack;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// An announcement through the real Slack and Teams adapters and the host's jobs, against the loopback fakes of Slack
/// and the Bot Connector, with rate limits and server errors on the way. The jobs run when the test says, on the fake
/// clock (see <see cref="ManualJobs"/>), never on a worker that wakes up on the real one.
/// </summary>
[Collection(nameof(AnnouncementsTests))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class AnnouncementEndToEndTests : IAsyncLifetime
{
    private const string SigningSecret = "slack-signing-secret-for-tests";
    private const string Releases = "19:releases@thread.tacv2";
    private const string ReleasesTarget = "/teams/v3/conversations/19%3Areleases%40thread.tacv2/activities";

    private readonly FakeBotFramework _microsoft = new();
    private FakeSlackApi _slack = null!;
    private ChatOpsBotApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        var settings = _microsoft.Settings();
        settings["Slack:SigningSecret"] = SigningSecret;
        settings["Slack:BotToken"] = "xoxb-test-token";
        settings["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl;
        _app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings));
        _client = _app.CreateLoopbackClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _slack.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    private async Task<long> UploadAsync(string version, bool announce)
    {
        var ipa = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        ipa.Info["CFBundleShortVersionString"] = version;
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new StringContent("Fixes the login crash."), "notes" },
            { new ByteArrayContent(ipa.Build()), "file", "Demo.ipa" },
        };
        if (announce)
            form.Add(new StringContent("true"), "announce");
        using var api = _app.CreateClient(announce ? ChatOpsBotApplication.ReleaseManagerKey : ChatOpsBotApplication.UploaderKey);
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<HttpResponseMessage> SlackAsync(string path, string body, string contentType)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = _app.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new(contentType);
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SigningSecret, timestamp, bytes));
        return await _client.SendAsync(request);
    }

    private async Task SubscribeSlackChannelAsync(string channel)
    {
        using var response = await SlackAsync("/slack/events", JsonSerializer.Serialize(new
        {
            type = "event_callback",
            team_id = "T0WORK",
            event_id = "Ev-subscribe-" + channel,
            authorizations = new[] { new { team_id = "T0WORK", user_id = "U0BOT", is_bot = true } },
            @event = new { type = "app_mention", user = "U0ALICE", text = "<@U0BOT> subscribe demo beta", ts = "1795424400.000100", channel },
        }), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await _slack.NextCallAsync();
        Assert.Equal(channel, reply.Json.GetProperty("channel").GetString());
        Assert.StartsWith("Subscribed", reply.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> TeamsAsync(JsonObject activity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StringContent(activity.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", _microsoft.Token(_app.Clock.GetUtcNow()));
        return await _client.SendAsync(request);
    }

    private static JsonObject InReleasesChannel(JsonObject activity)
    {
        activity["conversation"] = new JsonObject
        {
            ["id"] = Releases + ";messageid=1700000000001",
            ["conversationType"] = "channel",
            ["isGroup"] = true,
            ["tenantId"] = FakeBotFramework.TenantId,
            ["name"] = "Releases",
        };
        return activity;
    }

    /// <summary>Skips what the fakes received earlier (replies, announcements) up to the first call that matches; each wait is bounded.</summary>
    private async Task<FakeSlackCall> NextSlackCallAsync(Func<FakeSlackCall, bool> match)
    {
        while (true)
        {
            var call = await _slack.NextCallAsync();
            if (match(call))
                return call;
        }
    }

    private async Task<ConnectorCall> NextConnectorPostAsync(Func<ConnectorCall, bool> match)
    {
        while (true)
        {
            var call = await _microsoft.NextPostAsync();
            if (match(call))
                return call;
        }
    }

    private static JsonElement GetMyInstallLinkButton(JsonElement slackMessage) => slackMessage.GetProperty("blocks").EnumerateArray()
        .Where(b => b.TryGetProperty("accessory", out _)).Select(b => b.GetProperty("accessory"))
        .Single(a => a.GetProperty("text").GetProperty("text").GetString() == "Get my install link");

    [Fact]
    public async Task EverySubscribedSlackAndTeamsConversationGetsOneMessageWhoseButtonGivesEachPresserAPersonalLink()
    {
        await UploadAsync("1.0", announce: false);
        await SubscribeSlackChannelAsync("C0GENERAL");
        await SubscribeSlackChannelAsync("C0QA");
        using (var subscribed = await TeamsAsync(InReleasesChannel(_microsoft.Message("<at>ChatOpsBot</at> subscribe demo beta"))))
            Assert.Equal(HttpStatusCode.OK, subscribed.StatusCode);
        Assert.Contains("Subscribed", (await _microsoft.NextPostAsync()).Body.GetRawText(), StringComparison.Ordinal);
        var slackCallsBefore = _slack.Calls.Count;
        var teamsPostsBefore = _microsoft.Posts.Count;
        _slack.Enqueue("/api/chat.postMessage",
            new FakeSlackAnswer(429, """{"ok":false,"error":"ratelimited"}""", RetryAfter: "30"), new FakeSlackAnswer(500, "oops"));
        _microsoft.ConnectorFailures.Enqueue((429, "20"));
        _microsoft.ConnectorFailures.Enqueue((502, null));

        var buildId = await UploadAsync("2.0", announce: true);
        var deliveries = await AnnouncementsTests.SettleAsync(_app);

        Assert.Equal(3, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(DeliveryState.Delivered, d.State));
        var slackPosts = _slack.Calls.Skip(slackCallsBefore).ToList();
        Assert.All(slackPosts, c => Assert.Equal("/api/chat.postMessage", c.Path));
        Assert.Equal(4, slackPosts.Count);
        foreach (var channel in new[] { "C0GENERAL", "C0QA" })
        {
            var delivered = Assert.Single(slackPosts, c => c.Answer!.Status == 200 && c.Json.GetProperty("channel").GetString() == channel);
            Assert.DoesNotContain("/i/", delivered.Body, StringComparison.Ordinal);
            Assert.Equal(buildId.ToString(CultureInfo.InvariantCulture), GetMyInstallLinkButton(delivered.Json).GetProperty("value").GetString());
            Assert.Contains("is out in beta", delivered.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
        }
        var teamsPosts = _microsoft.Posts.Skip(teamsPostsBefore).ToList();
        Assert.All(teamsPosts, p => Assert.Equal(ReleasesTarget, p.RawTarget));
        Assert.Equal([429, 502, 200], teamsPosts.Select(p => p.Status));
        var card = teamsPosts[^1].Body.GetProperty("attachments")[0].GetProperty("content").GetRawText();
        Assert.Contains("\"title\":\"Get my install link\"", card, StringComparison.Ordinal);
        Assert.DoesNotContain("/i/", card, StringComparison.Ordinal);
        await using (var scope = _app.Services.CreateAsyncScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.ToListAsync());

        using (var pressed = await SlackAsync("/slack/interactions", "payload=" + Uri.EscapeDataString(JsonSerializer.Serialize(new
        {
            type = "block_actions",
            team = new { id = "T0WORK" },
            user = new { id = "U0BOB", username = "bob", team_id = "T0WORK" },
            channel = new { id = "C0GENERAL" },
            response_url = _slack.ResponseUrl("actions/T0WORK/9/xyz"),
            actions = new[] { new { type = "button", action_id = "get_link", value = buildId.ToString(CultureInfo.InvariantCulture) } },
        })), "application/x-www-form-urlencoded"))
            Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        var ephemeral = await NextSlackCallAsync(c => c.Path.StartsWith("/hooks/", StringComparison.Ordinal));
        Assert.Equal("/hooks/actions/T0WORK/9/xyz", ephemeral.Path);
        Assert.Equal("ephemeral", ephemeral.Json.GetProperty("response_type").GetString());
        Assert.Contains("https://ota.example.test/i/", ephemeral.Body, StringComparison.Ordinal);

        var invoke = InReleasesChannel(_microsoft.Message(""));
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["value"] = new JsonObject
        {
            ["action"] = new JsonObject
            {
                ["type"] = "Action.Execute",
                ["verb"] = "get_link",
                ["data"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(CultureInfo.InvariantCulture) },
            },
        };
        using var response = await TeamsAsync(invoke);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("application/vnd.microsoft.activity.message", answer.GetProperty("type").GetString());
        var personal = await NextConnectorPostAsync(p => p.RawTarget.Contains("personal", StringComparison.Ordinal));
        Assert.Contains("https://ota.example.test/i/", personal.Body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(_microsoft.Posts, p => p.RawTarget.Contains("releases", StringComparison.Ordinal) && p.Body.GetRawText().Contains("/i/", StringComparison.Ordinal));

        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var links = await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.AsNoTracking().ToListAsync();
            Assert.Equal(["0a1b2c3d-0000-4000-8000-00000000ada1", "U0BOB"], links.Select(l => l.UserId).Order(StringComparer.Ordinal));
        }
    }
}
