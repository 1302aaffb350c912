using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Jobs;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// Replicas keep no chat state of their own: two hosts on one data directory (one database) stand for two replicas,
/// and a host started again on it for a restart. A Slack event is answered once whichever of them it reaches, the bot
/// greets a Teams conversation once, and a service URL one of them learned from a validated token is trusted by all.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class SharedStateTests : IAsyncLifetime
{
    private const string Alice = "U0ALICE";
    private const string AliceDm = "D0ALICE";
    private const string General = "C0GENERAL";

    private readonly string _data = Directory.CreateTempSubdirectory("chatopsbot-shared-").FullName;
    private readonly List<ChatOpsBotApplication> _hosts = [];
    private FakeSlackApi _slack = null!;
    private readonly FakeBotFramework _microsoft = new();

    public async Task InitializeAsync() => _slack = await FakeSlackApi.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
            await host.DisposeAsync();
        await _slack.DisposeAsync();
        await _microsoft.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    /// <summary>A replica: a host on the shared data directory, with Slack and Teams pointed at the fakes.</summary>
    private ChatOpsBotApplication Replica()
    {
        var settings = SlackEndToEndHost.Settings(_slack, _microsoft.Settings());
        var host = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings), dataDirectory: _data);
        _hosts.Add(host);
        return host;
    }

    private static SlackEndToEndHost.View Slack(ChatOpsBotApplication host, FakeSlackApi slack)
    {
        var client = host.CreateLoopbackClient();
        return new SlackEndToEndHost.View(slack, () => host, () => client, n: null);
    }

    /// <summary>Alice writes to the bot in her direct messages; each message has its own <paramref name="ts"/>.</summary>
    private static object DirectMessage(string eventId, string text, string ts) => new
    {
        token = "deprecated",
        team_id = "T0WORK",
        api_app_id = "A0APP",
        type = "event_callback",
        event_id = eventId,
        event_time = 1795424400,
        authorizations = new[] { new { team_id = "T0WORK", user_id = "U0BOT", is_bot = true } },
        @event = new { type = "message", channel_type = "im", user = Alice, text, ts, channel = AliceDm },
    };

    /// <summary>Alice mentions the bot in a channel, as delivered through the installation of <paramref name="teamId"/>.</summary>
    private static object Mention(string eventId, string text, string ts, string teamId) => new
    {
        token = "deprecated",
        team_id = teamId,
        api_app_id = "A0APP",
        type = "event_callback",
        event_id = eventId,
        event_time = 1795424400,
        authorizations = new[] { new { team_id = teamId, user_id = "U0BOT", is_bot = true } },
        @event = new { type = "app_mention", user = Alice, text, ts, channel = General, event_ts = ts, team = "T0WORK", user_team = "T0WORK" },
    };

    private List<FakeSlackCall> Answers(string path) => [.. _slack.Calls.Where(c => c.Path == path)];

    /// <summary>Whatever the bot posted: a message, or one only the person sees.</summary>
    private List<FakeSlackCall> Answers() => [.. _slack.Calls.Where(IsAnswer)];

    private static bool IsAnswer(FakeSlackCall call) => call.Path is "/api/chat.postMessage" or "/api/chat.postEphemeral";

    private static bool Logged(ChatOpsBotApplication host, int eventId, string text) =>
        host.Logs.Any(l => l.Contains($"[{eventId}]", StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));

    private static async Task<T> WithDbAsync<T>(ChatOpsBotApplication host, Func<ChatOpsBotDb, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>());
    }

    private static async Task PruneAsync(ChatOpsBotApplication host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<PruneEventClaimsJob>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SlackRetryThatReachesTheOtherReplicaIsAcknowledgedThereAndAnsweredOnce()
    {
        var a = Replica();
        var b = Replica();
        var onA = Slack(a, _slack);
        var onB = Slack(b, _slack);

        using (var first = await onA.EventAsync(DirectMessage("Ev-other-replica", "help", "1795424400.000101")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var retry = await onB.EventAsync(DirectMessage("Ev-other-replica", "help", "1795424400.000101"), retryNum: "1"))
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        // B recognised it while answering the retry, before any work could start.
        Assert.True(Logged(b, 3003, "Ev-other-replica"), b.ServerErrors());
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", 0);
        // A stopping host first finishes the work it started.
        await b.DisposeAsync();
        await a.DisposeAsync();

        Assert.Single(Answers("/api/chat.postMessage"));
    }

    [Fact]
    public async Task SlackRetryAfterARestartIsAcknowledgedAndNotAnsweredAgain()
    {
        var before = Replica();
        using (var first = await Slack(before, _slack).EventAsync(DirectMessage("Ev-restart", "help", "1795424400.000102")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", 0);
        await before.DisposeAsync();

        var after = Replica();
        using (var retry = await Slack(after, _slack).EventAsync(DirectMessage("Ev-restart", "help", "1795424400.000102"), retryNum: "2"))
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        await after.DisposeAsync();

        Assert.True(Logged(after, 3003, "Ev-restart"));
        Assert.Single(Answers("/api/chat.postMessage"));
    }

    [Fact]
    public async Task OneSlackEventDeliveredToBothReplicasAtOnceIsAnsweredOnce()
    {
        var a = Replica();
        var b = Replica();
        var onA = Slack(a, _slack);
        var onB = Slack(b, _slack);
        const int Events = 12;

        for (var i = 0; i < Events; i++)
        {
            var envelope = DirectMessage($"Ev-race-{i}", "help", $"1795424400.{i + 200:D6}");
            var responses = await Task.WhenAll(onA.EventAsync(envelope), onB.EventAsync(envelope, retryNum: "1"));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            foreach (var response in responses)
                response.Dispose();
        }
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", Events - 1);
        await a.DisposeAsync();
        await b.DisposeAsync();

        Assert.Equal(Events, Answers("/api/chat.postMessage").Count);
        // Each event was turned away by exactly one of the two.
        for (var i = 0; i < Events; i++)
            Assert.Equal(1, new[] { a, b }.Sum(h => h.Logs.Count(l => l.Contains("[3003]", StringComparison.Ordinal) && l.Contains($"Ev-race-{i} ", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task OneMessageDeliveredAsTwoEventsToTwoReplicasIsAnsweredOnce()
    {
        var a = Replica();
        var b = Replica();

        // In a channel shared between two organisations, Slack delivers one message once per installation.
        using (var first = await Slack(a, _slack).EventAsync(Mention("Ev-shared-work", "<@U0BOT> help", "1795424400.000301", "T0WORK")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await Slack(b, _slack).EventAsync(Mention("Ev-shared-partner", "<@U0BOT> help", "1795424400.000301", "T0PARTNER")))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(Logged(b, 5101, $"{General}/1795424400.000301"), b.ServerErrors());
        await _slack.CallAsync(IsAnswer, 0);
        await a.DisposeAsync();
        await b.DisposeAsync();

        Assert.Single(Answers());
    }

    [Fact]
    public async Task SlackEventWithAnIdLongerThanTheClaimColumnIsStillAnsweredOnce()
    {
        var host = Replica();
        var slack = Slack(host, _slack);
        var eventId = "Ev-" + new string('x', 400);

        using (var first = await slack.EventAsync(DirectMessage(eventId, "help", "1795424400.000401")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var retry = await slack.EventAsync(DirectMessage(eventId, "help", "1795424400.000402"), retryNum: "1"))
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", 0);
        await host.DisposeAsync();

        Assert.True(Logged(host, 3003, eventId), host.ServerErrors());
        Assert.Single(Answers("/api/chat.postMessage"));
    }

    [Fact]
    public async Task SlackEventClaimsArePrunedByTheirJobOnceTheyLapseAndNotBefore()
    {
        var host = Replica();
        var slack = Slack(host, _slack);
        using (await slack.EventAsync(DirectMessage("Ev-prune", "help", "1795424400.000501")))
        {
        }
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", 0);
        // The event's claim and its message's.
        Assert.Equal(2, await WithDbAsync(host, db => db.ChatEventClaims.CountAsync()));

        host.Clock.Advance(global::ChatOpsBot.Slack.SlackEventClaims.Lifetime - TimeSpan.FromSeconds(1));
        await PruneAsync(host);
        Assert.Equal(2, await WithDbAsync(host, db => db.ChatEventClaims.CountAsync()));
        using (await slack.EventAsync(DirectMessage("Ev-prune", "help", "1795424400.000501"), retryNum: "3"))
        {
        }
        Assert.True(Logged(host, 3003, "Ev-prune"));

        host.Clock.Advance(TimeSpan.FromSeconds(1));
        await PruneAsync(host);

        Assert.Equal(0, await WithDbAsync(host, db => db.ChatEventClaims.CountAsync()));
        Assert.Contains(host.Logs, l => l.Contains("[5730]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALapsedSlackEventClaimThatWasNotPrunedYetCanBeClaimedAgain()
    {
        var host = Replica();
        var slack = Slack(host, _slack);
        using (await slack.EventAsync(DirectMessage("Ev-lapsed", "help", "1795424400.000601")))
        {
        }
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", 0);

        host.Clock.Advance(global::ChatOpsBot.Slack.SlackEventClaims.Lifetime);
        using (await slack.EventAsync(DirectMessage("Ev-lapsed", "help", "1795424400.000601")))
        {
        }
        await _slack.CallAsync(c => c.Path == "/api/chat.postMessage", 1);
        await host.DisposeAsync();

        Assert.False(Logged(host, 3003, "Ev-lapsed"));
        Assert.Equal(2, Answers("/api/chat.postMessage").Count);
    }

    private JsonObject Added(string type, string conversationId)
    {
        var update = _microsoft.Message("");
        update["type"] = type;
        update.Remove("text");
        update.Remove("id");
        update["conversation"] = new JsonObject { ["id"] = conversationId, ["conversationType"] = "channel", ["tenantId"] = FakeBotFramework.TenantId };
        if (type == "conversationUpdate")
            update["membersAdded"] = new JsonArray(new JsonObject { ["id"] = FakeBotFramework.BotId });
        else
            update["action"] = "add";
        return update;
    }

    private async Task<HttpResponseMessage> PostActivityAsync(ChatOpsBotApplication host, JsonObject activity)
    {
        using var connector = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StringContent(activity.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", _microsoft.Token(host.Clock.GetUtcNow()));
        return await connector.SendAsync(request);
    }

    private List<ConnectorCall> PostsTo(string conversationId) =>
        [.. _microsoft.Posts.Where(p => p.RawTarget.Contains("/v3/conversations/" + Uri.EscapeDataString(conversationId) + "/", StringComparison.Ordinal))];

    [Fact]
    public async Task TeamsGreetsOnceWhenTwoReplicasAreToldAtOnceThatItWasAdded()
    {
        const string Team = "19:general-race@thread.tacv2";
        var a = Replica();
        var b = Replica();

        // Teams tells of one installation twice (conversationUpdate and installationUpdate), here to both replicas at once.
        var responses = await Task.WhenAll(
            PostActivityAsync(a, Added("conversationUpdate", Team)), PostActivityAsync(b, Added("installationUpdate", Team)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
            response.Dispose();
        await _microsoft.PostAsync(p => PostsTo(Team).Contains(p));
        var remembered = await WithDbAsync(a, db => db.TeamsConversations.CountAsync(c => c.ConversationId == Team));
        await a.DisposeAsync();
        await b.DisposeAsync();

        var greeting = Assert.Single(PostsTo(Team));
        Assert.Contains("What I can do", greeting.Body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(1, remembered);
    }

    [Fact]
    public async Task TeamsGreetsOnceWhenTheOtherReplicaIsToldLaterThatItWasAdded()
    {
        const string Team = "19:general-later@thread.tacv2";
        var a = Replica();
        var b = Replica();

        using (var first = await PostActivityAsync(a, Added("conversationUpdate", Team)))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await _microsoft.PostAsync(p => PostsTo(Team).Contains(p));
        using (var again = await PostActivityAsync(b, Added("installationUpdate", Team)))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await a.DisposeAsync();
        await b.DisposeAsync();

        Assert.Single(PostsTo(Team));
    }

    /// <summary>A release manager's "subscribe demo beta", typed in a Teams channel reached through <paramref name="serviceUrl"/>.</summary>
    private static async Task SubscribeAsync(ChatOpsBotApplication host, string conversationId, string serviceUrl)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var where = new ConversationAddress("teams", FakeBotFramework.TenantId, conversationId, serviceUrl, "Releases");
        var user = new ChatUser("teams", FakeBotFramework.TenantId, "29:release-manager", "Grace", IsReleaseManager: true);
        var reply = await scope.ServiceProvider.GetRequiredService<ChatEngine>()
            .HandleAsync(new ChatCommand(user, "subscribe demo beta") { Conversation = where }, CancellationToken.None);
        Assert.StartsWith("Subscribed", reply.Text, StringComparison.Ordinal);
    }

    private static async Task<long> UploadAsync(ChatOpsBotApplication host)
    {
        using var api = host.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(new TestIpaBuilder().Build()), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task TeamsServiceUrlLearnedByOneReplicaIsTrustedByTheOtherForProactiveSendsAndAnUnknownOneIsStillRefused()
    {
        const string Trusted = "19:trusted@thread.tacv2";
        const string Unknown = "19:unknown@thread.tacv2";
        // Served by the fake too, so a post there would be seen; but no validated token ever named it.
        var unknownServiceUrl = _microsoft.ServiceUrl + "elsewhere/";
        var a = Replica();
        // An authenticated activity that A answers with nothing and remembers nothing of but its service URL.
        var submit = _microsoft.Message("");
        submit["value"] = new JsonObject { ["someone"] = "else's card" };
        using (var response = await PostActivityAsync(a, submit))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await WithDbAsync(a, db => db.TeamsConversations.CountAsync()));
        await a.DisposeAsync();

        var b = Replica();
        var buildId = await UploadAsync(b);
        await SubscribeAsync(b, Trusted, _microsoft.ServiceUrl);
        await SubscribeAsync(b, Unknown, unknownServiceUrl);
        using (var api = b.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var announced = await api.PostAsync($"/api/v1/builds/{buildId}/announcements", null))
            Assert.Equal(HttpStatusCode.Accepted, announced.StatusCode);
        var deliveries = await AnnouncementsTests.SettleAsync(b);

        Assert.Equal(DeliveryState.Delivered, deliveries.Single(d => d.ConversationId == Trusted).State);
        var refused = deliveries.Single(d => d.ConversationId == Unknown);
        Assert.Equal(DeliveryState.Failed, refused.State);
        Assert.Contains("never arrived in a validated Teams token", refused.LastError, StringComparison.Ordinal);
        Assert.Single(PostsTo(Trusted));
        Assert.DoesNotContain(_microsoft.Posts, p => p.RawTarget.Contains("/elsewhere/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheUpgradeTrustsTheServiceUrlsOfConversationsRememberedBeforeIt()
    {
        var host = Replica();
        host.CreateLoopbackClient().Dispose();
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var migrations = db.Database.GetMigrations().ToList();
        var upgrade = migrations.Single(m => m.EndsWith("_SharedChatState", StringComparison.Ordinal));
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(migrations[migrations.IndexOf(upgrade) - 1]);
        var rememberedAt = new DateTime(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc);
        db.TeamsConversations.AddRange(
            new TeamsConversation { ConversationId = "19:a@thread.tacv2", ServiceUrl = "https://smba.trafficmanager.net/amer/", TenantId = "t", BotId = "28:b", CreatedAt = rememberedAt.AddDays(1) },
            new TeamsConversation { ConversationId = "19:b@thread.tacv2", ServiceUrl = "https://SMBA.trafficmanager.net/amer", TenantId = "t", BotId = "28:b", CreatedAt = rememberedAt },
            new TeamsConversation { ConversationId = "a:c", ServiceUrl = "https://smba.trafficmanager.net/emea/", TenantId = "t", BotId = "28:b", CreatedAt = rememberedAt });
        await db.SaveChangesAsync();

        await migrator.MigrateAsync(migrations[^1]);

        var trusted = await db.TeamsServiceUrls.AsNoTracking().OrderBy(u => u.Url).ToListAsync();
        Assert.Equal(
            [("https://smba.trafficmanager.net/amer", rememberedAt), ("https://smba.trafficmanager.net/emea", rememberedAt)],
            trusted.Select(u => (u.Url, u.TrustedAt)));
    }
}
