using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Tests;

public sealed class AnnouncementsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly ConversationAddress SlackGeneral = new("slack", "T1", "C-general", Name: "#general");
    private static readonly ConversationAddress SlackQa = new("slack", "T1", "C-qa", Name: "#qa");
    private static readonly ConversationAddress TeamsReleases = new("teams", "tenant-1", "19:releases@thread.tacv2", "https://smba.trafficmanager.net/teams/", "Releases");
    private static readonly ConversationAddress TeamsChat = new("teams", "tenant-1", "a:1on1-chat", "https://smba.trafficmanager.net/teams/");

    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
            disposable.Dispose();
    }

    /// <summary>
    /// A host whose jobs wait in <see cref="ChatOpsBotApplication.Jobs"/> until <see cref="SettleAsync"/> runs them; with
    /// <paramref name="jobServer"/>, Hangfire's server and the outbox sweep run in the host, for a test about them.
    /// </summary>
    private ChatOpsBotApplication Host(FakeMessenger slack, FakeMessenger teams, bool jobServer = false, string? dataDirectory = null, int? requestsPerWindow = null)
    {
        var settings = new Dictionary<string, string?> { ["ChatOpsBot:Jobs:Enabled"] = jobServer ? "true" : "false" };
        if (requestsPerWindow is { } limit)
            settings["ChatOpsBot:Install:RequestsPerWindow"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var app = new ChatOpsBotApplication(
            ChatOpsBotApplication.WithApiKeys(settings),
            dataDirectory: dataDirectory,
            services: services =>
            {
                services.AddSingleton<IConversationMessenger>(slack);
                services.AddSingleton<IConversationMessenger>(teams);
            });
        slack.Clock = teams.Clock = app.Clock;
        _disposables.Add(app);
        return app;
    }

    private static async Task<long> UploadAsync(ChatOpsBotApplication app, string version = "1.0", bool announce = false, string key = ChatOpsBotApplication.ReleaseManagerKey)
    {
        using var response = await PostBuildAsync(app, version, announce, key);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private static async Task<HttpResponseMessage> PostBuildAsync(ChatOpsBotApplication app, string version, bool announce, string key)
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
        using var api = app.CreateClient(key);
        return await api.PostAsync("/api/v1/builds", form);
    }

    private static async Task<ChatReply> SayAsync(ChatOpsBotApplication app, ConversationAddress where, string text, bool releaseManager = false)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var user = new ChatUser(where.Platform, where.Workspace, "U-" + where.Platform, "Ada", releaseManager);
        return await scope.ServiceProvider.GetRequiredService<ChatEngine>()
            .HandleAsync(new ChatCommand(user, text) { Conversation = where }, CancellationToken.None);
    }

    private static async Task SubscribeAsync(ChatOpsBotApplication app, params ConversationAddress[] conversations)
    {
        foreach (var conversation in conversations)
            Assert.StartsWith("Subscribed", (await SayAsync(app, conversation, "subscribe demo beta")).Text, StringComparison.Ordinal);
    }

    private static async Task<long> AnnounceAsync(ChatOpsBotApplication app, long buildId)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var response = await api.PostAsync($"/api/v1/builds/{buildId}/announcements", null);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    internal static async Task<List<AnnouncementDelivery>> DeliveriesAsync(ChatOpsBotApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().AnnouncementDeliveries.AsNoTracking().OrderBy(d => d.Id).ToListAsync();
    }

    /// <summary>
    /// Runs the host's jobs until every delivery is delivered or failed, as a job server and the host's outbox sweep
    /// would, on the fake clock: the jobs that are due run; when all that is left waits for a retry, the clock moves to
    /// just after the next job falls due (a job server's poll is never early); should a delivery be left without any
    /// job, the clock moves a sweep interval and the outbox's sweep hands it one, as it does in the host every minute.
    /// </summary>
    internal static async Task<List<AnnouncementDelivery>> SettleAsync(ChatOpsBotApplication app)
    {
        var sweep = new AnnouncementOutbox(app.Services.GetRequiredService<IServiceScopeFactory>(), app.Jobs, app.Clock,
            app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnnouncementOptions>>(), NullLogger<AnnouncementOutbox>.Instance);
        for (var round = 0; round < 1_000; round++)
        {
            await app.RunJobsAsync();
            var deliveries = await DeliveriesAsync(app);
            if (deliveries.All(d => d.State is not (DeliveryState.Pending or DeliveryState.Sending)))
                return deliveries;
            if (app.Jobs.NextDueAt is { } next)
            {
                app.Clock.Advance(next - app.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
            }
            else
            {
                app.Clock.Advance(AnnouncementOutbox.SweepInterval);
                await sweep.SweepAsync(startUp: false, CancellationToken.None);
            }
        }
        throw new InvalidOperationException("The deliveries never settled." + app.ServerErrors());
    }

    /// <summary>
    /// Waits (bounded) until every delivery is delivered or failed on the host's own job server. When all that is left
    /// are retries waiting for their time, the fake clock is moved past it, so the recovery sweep hands them to the job
    /// server; it is never moved while a delivery is being sent or a due one waits for its job.
    /// </summary>
    private static async Task<List<AnnouncementDelivery>> SettleOnTheJobServerAsync(ChatOpsBotApplication app)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var deliveries = await DeliveriesAsync(app);
            var open = deliveries.Where(d => d.State is DeliveryState.Pending or DeliveryState.Sending).ToList();
            if (open.Count == 0 || DateTime.UtcNow > deadline)
                return deliveries;
            var now = app.Clock.GetUtcNow().UtcDateTime;
            if (open.All(d => d.State == DeliveryState.Pending && d.Attempts > 0 && d.NextAttemptAt + AnnouncementOutbox.SweepGrace > now))
            {
                // The fake clock fires the sweep's timer at each whole interval it passes, with the clock at that
                // moment: go one interval beyond the point where the earliest retry counts as overdue.
                app.Clock.Advance(open.Min(d => d.NextAttemptAt) + AnnouncementOutbox.SweepGrace + AnnouncementOutbox.SweepInterval - now);
            }
            await Task.Delay(20);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition() && DateTime.UtcNow < deadline)
            await Task.Delay(20);
    }

    private static async Task<JsonElement> StatusAsync(ChatOpsBotApplication app, long announcementId)
    {
        using var api = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        return await api.GetFromJsonAsync<JsonElement>($"/api/v1/announcements/{announcementId}");
    }

    private static string AllText(ChatReply reply) => reply.Text + "\n" + string.Join("\n", reply.Blocks.Select(b => b switch
    {
        HeaderBlock h => h.Text,
        TextBlock t => t.Text,
        ContextBlock c => c.Text,
        ListItemBlock l => l.Title + " " + l.Detail + " " + l.Action,
        FactsBlock f => string.Join(" ", f.Facts.Select(x => $"{x.Label}={x.Text}")),
        LinkButtonBlock l => l.Label + " " + l.Url,
        ImageBlock i => i.Url,
        _ => b.ToString(),
    }));

    [Fact]
    public async Task EverySubscribedSlackAndTeamsConversationReceivesTheAnnouncementExactlyOnce()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral, SlackQa, TeamsReleases, TeamsChat);

        var announcementId = await AnnounceAsync(app, buildId);
        var deliveries = await SettleAsync(app);

        Assert.All(deliveries, d => Assert.Equal(DeliveryState.Delivered, d.State));
        Assert.Equal(1, slack.DeliveredTo(SlackGeneral));
        Assert.Equal(1, slack.DeliveredTo(SlackQa));
        Assert.Equal(1, teams.DeliveredTo(TeamsReleases));
        Assert.Equal(1, teams.DeliveredTo(TeamsChat));
        Assert.Equal(TeamsReleases, teams.Posts.Single(p => p.To.ConversationId == TeamsReleases.ConversationId).To);
        var message = slack.Posts.First().Message;
        Assert.False(message.Private);
        Assert.Equal("Demo & Co 1.0 (187) for iOS is out in beta", message.Text);
        Assert.Equal("Fixes the login crash.", message.Blocks.OfType<TextBlock>().Single().Text);
        Assert.Equal(new ReplyAction("Get my install link", ChatActions.GetLink, buildId.ToString(CultureInfo.InvariantCulture)),
            message.Blocks.OfType<ListItemBlock>().Single().Action);
        var icon = message.Blocks.OfType<ImageBlock>().Single().Url;
        Assert.Matches($"^{ChatOpsBotApplication.DefaultPublicBaseUrl}/icons/[0-9a-f]{{64}}\\.png$", icon);
        Assert.DoesNotContain("/i/", AllText(message), StringComparison.Ordinal);
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.ToListAsync());
        var status = await StatusAsync(app, announcementId);
        Assert.Equal(4, status.GetProperty("delivered").GetInt32());
        Assert.Equal(0, status.GetProperty("failed").GetInt32());
        Assert.All(status.GetProperty("targets").EnumerateArray(), t => Assert.Equal("delivered", t.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task RateLimitsAndServerErrorsAlongTheWayStillDeliverExactlyOnceAndHonourRetryAfter()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        slack.Answer(SlackGeneral, FakeMessenger.RateLimited(TimeSpan.FromSeconds(90)), FakeMessenger.RateLimited(TimeSpan.FromSeconds(90)));
        teams.Answer(TeamsReleases, FakeMessenger.ServerError, FakeMessenger.ServerError, FakeMessenger.ServerError);
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral, SlackQa, TeamsReleases);

        var announcementId = await AnnounceAsync(app, buildId);
        var deliveries = await SettleAsync(app);

        Assert.All(deliveries, d => Assert.Equal(DeliveryState.Delivered, d.State));
        Assert.Equal([3, 1, 4], deliveries.Select(d => d.Attempts));
        Assert.Equal(1, slack.DeliveredTo(SlackGeneral));
        Assert.Equal(1, slack.DeliveredTo(SlackQa));
        Assert.Equal(1, teams.DeliveredTo(TeamsReleases));
        var attempts = slack.Posts.Where(p => p.To == SlackGeneral).Select(p => p.At).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts.Zip(attempts.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromSeconds(90), $"retried after {pair.Second - pair.First}"));
        var status = await StatusAsync(app, announcementId);
        Assert.Equal(3, status.GetProperty("delivered").GetInt32());
    }

    [Fact]
    public async Task TargetsThatFailForGoodAreReportedToTheAnnouncerWhileTheOthersAreDelivered()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        teams.Answer(TeamsReleases, new DeliveryResult.Failed("403 BotNotInConversationRoster: the bot was removed"));
        slack.Answer(SlackQa, [.. Enumerable.Repeat(FakeMessenger.ServerError, AnnouncementDeliveryJob.MaxAttempts)]);
        var webex = new ConversationAddress("webex", null, "room-1", Name: "Webex room");
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral, SlackQa, TeamsReleases, webex);

        var announcementId = await AnnounceAsync(app, buildId);
        await SettleAsync(app);

        var status = await StatusAsync(app, announcementId);
        Assert.Equal(1, status.GetProperty("delivered").GetInt32());
        Assert.Equal(3, status.GetProperty("failed").GetInt32());
        Assert.Equal(0, status.GetProperty("pending").GetInt32());
        var targets = status.GetProperty("targets").EnumerateArray()
            .ToDictionary(t => t.GetProperty("conversationId").GetString()!, t => (State: t.GetProperty("state").GetString(), Attempts: t.GetProperty("attempts").GetInt32(), Error: t.GetProperty("lastError").GetString()));
        Assert.Equal(("delivered", 1, null), targets[SlackGeneral.ConversationId]);
        Assert.Equal(("failed", 1, "403 BotNotInConversationRoster: the bot was removed"), targets[TeamsReleases.ConversationId]);
        Assert.Equal(("failed", AnnouncementDeliveryJob.MaxAttempts, $"gave up after {AnnouncementDeliveryJob.MaxAttempts} attempts: 500 Internal Server Error"), targets[SlackQa.ConversationId]);
        Assert.Equal(("failed", 1, "no webex integration configured"), targets[webex.ConversationId]);
        Assert.Equal(AnnouncementDeliveryJob.MaxAttempts, slack.Posts.Count(p => p.To == SlackQa));
        Assert.Equal(1, teams.Posts.Count(p => p.To == TeamsReleases));
    }

    [Fact]
    public async Task RunningTheDeliveryJobTwiceForOneDeliveryPostsOnce()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral);
        await AnnounceAsync(app, buildId);
        var delivery = Assert.Single(await DeliveriesAsync(app));

        async Task RunAsync()
        {
            await using var scope = app.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<AnnouncementDeliveryJob>().RunAsync(delivery.Id, CancellationToken.None);
        }
        await Task.WhenAll(RunAsync(), RunAsync());
        await RunAsync();

        Assert.Single(slack.Posts);
        var delivered = Assert.Single(await DeliveriesAsync(app));
        Assert.Equal((DeliveryState.Delivered, 1), (delivered.State, delivered.Attempts));
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime, delivered.DeliveredAt);
    }

    [Fact]
    public async Task AHostStoppedMidAnnouncementResumesOnTheSameDataDirectoryAndCompletesEveryDeliveryExactlyOnce()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("chatopsbot-crash-").FullName;
        try
        {
            FakeMessenger slack1 = new("slack"), teams1 = new("teams");
            teams1.Block(TeamsReleases);
            teams1.Block(TeamsChat);
            slack1.Answer(SlackQa, FakeMessenger.RateLimited(TimeSpan.FromMinutes(10)));
            var first = Host(slack1, teams1, jobServer: true, dataDirectory: dataDirectory);
            var buildId = await UploadAsync(first);
            await SubscribeAsync(first, SlackGeneral, SlackQa, TeamsReleases, TeamsChat);
            var announcementId = await AnnounceAsync(first, buildId);
            await WaitUntilAsync(async () => teams1.Started.Count == 2
                && (await DeliveriesAsync(first)).Count(d => d.State != DeliveryState.Sending) == 2);
            var beforeCrash = await DeliveriesAsync(first);
            first.Dispose();

            FakeMessenger slack2 = new("slack"), teams2 = new("teams");
            var second = Host(slack2, teams2, jobServer: true, dataDirectory: dataDirectory);
            second.Clock.Advance(TimeSpan.FromMinutes(30));
            var afterRestart = await SettleOnTheJobServerAsync(second);

            Assert.Equal(
                [DeliveryState.Delivered, DeliveryState.Pending, DeliveryState.Sending, DeliveryState.Sending],
                beforeCrash.Select(d => d.State));
            Assert.All(afterRestart, d => Assert.Equal(DeliveryState.Delivered, d.State));
            foreach (var conversation in new[] { SlackGeneral, SlackQa, TeamsReleases, TeamsChat })
            {
                var posts = new[] { slack1, teams1, slack2, teams2 }.Sum(m => m.DeliveredTo(conversation));
                Assert.True(posts == 1, $"{conversation.ConversationId} received {posts} messages");
            }
            Assert.Equal(0, teams1.DeliveredTo(TeamsReleases) + teams1.DeliveredTo(TeamsChat));
            Assert.Equal(4, (await StatusAsync(second, announcementId)).GetProperty("delivered").GetInt32());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task UploadWithAnnounceTrueAnnouncesTheNewBuild()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        await UploadAsync(app, "1.0");
        await SubscribeAsync(app, SlackGeneral, TeamsReleases);

        using var response = await PostBuildAsync(app, "1.1", announce: true, ChatOpsBotApplication.ReleaseManagerKey);
        await SettleAsync(app);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var link = Assert.Single(response.Headers.GetValues("Link"));
        Assert.Matches("^</api/v1/announcements/[0-9]+>; rel=\"announcement\"$", link);
        Assert.Equal("Demo & Co 1.1 (187) for iOS is out in beta", Assert.Single(slack.Posts).Message.Text);
        Assert.Equal(1, teams.DeliveredTo(TeamsReleases));
    }

    [Theory]
    [InlineData("true", HttpStatusCode.Forbidden)]
    [InlineData("yes", HttpStatusCode.BadRequest)]
    public async Task AnUploaderKeyCannotAnnounceAndSuchAnUploadStoresNothing(string announce, HttpStatusCode expected)
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent(announce), "announce" },
            { new ByteArrayContent(new TestIpaBuilder().Build()), "file", "Demo.ipa" },
        };
        using var api = app.CreateClient(ChatOpsBotApplication.UploaderKey);

        using var response = await api.PostAsync("/api/v1/builds", form);
        var apps = await api.GetFromJsonAsync<JsonElement>("/api/v1/apps");

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, apps.GetArrayLength());
        Assert.Empty(app.DataFiles());
    }

    [Theory]
    [InlineData(ChatOpsBotApplication.UploaderKey, HttpStatusCode.Forbidden)]
    [InlineData(ChatOpsBotApplication.ReleaseManagerKey, HttpStatusCode.Accepted)]
    [InlineData(ChatOpsBotApplication.AdminKey, HttpStatusCode.Accepted)]
    public async Task OnlyReleaseManagerAndAdminKeysMayAnnounceThroughTheApi(string key, HttpStatusCode expected)
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        using var api = app.CreateClient(key);

        using var response = await api.PostAsync($"/api/v1/builds/{buildId}/announcements", null);
        using var status = await api.GetAsync("/api/v1/announcements/1");

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.Accepted ? HttpStatusCode.OK : HttpStatusCode.Forbidden, status.StatusCode);
    }

    [Fact]
    public async Task AnnouncingAnUnknownOrRevokedBuildIsRefusedAndRecordsNothing()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral);
        using var api = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        (await api.DeleteAsync($"/api/v1/builds/{buildId}")).Dispose();

        using var revoked = await api.PostAsync($"/api/v1/builds/{buildId}/announcements", null);
        using var unknown = await api.PostAsync("/api/v1/builds/999/announcements", null);
        using var noAnnouncement = await api.GetAsync("/api/v1/announcements/1");
        var chat = await SayAsync(app, SlackGeneral, "announce demo beta", releaseManager: true);

        Assert.Equal(HttpStatusCode.Conflict, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noAnnouncement.StatusCode);
        Assert.Equal("Demo & Co has no active builds.", chat.Text);
        Assert.Empty(await DeliveriesAsync(app));
    }

    [Fact]
    public async Task TheIconRouteServesOnlyIconsOfActiveBuildsWithoutCaching()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        var buildId = await UploadAsync(app);
        string icon;
        await using (var scope = app.Services.CreateAsyncScope())
            icon = (await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.SingleAsync()).IconSha256!;
        using var anonymous = app.CreateLoopbackClient();
        using var api = app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);

        using var served = await anonymous.GetAsync($"/icons/{icon}.png");
        var png = await served.Content.ReadAsByteArrayAsync();
        using var unknown = await anonymous.GetAsync($"/icons/{new string('0', 64)}.png");
        using var malformed = await anonymous.GetAsync("/icons/..%2Fchatopsbot.db.png");
        using var upperCase = await anonymous.GetAsync($"/icons/{icon.ToUpperInvariant()}.png");
        (await api.DeleteAsync($"/api/v1/builds/{buildId}")).Dispose();
        using var afterRevoke = await anonymous.GetAsync($"/icons/{icon}.png");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("image/png", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
        Assert.Equal("no-store", served.Headers.CacheControl?.ToString());
        Assert.Equal("nosniff", Assert.Single(served.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, upperCase.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, afterRevoke.StatusCode);
    }

    [Fact]
    public async Task TheIconRouteSpendsAPerClientBudgetAndAnswers429WithRetryAfterUntilTheWindowEnds()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams, requestsPerWindow: 2);
        await UploadAsync(app);
        string icon;
        await using (var scope = app.Services.CreateAsyncScope())
            icon = (await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Builds.SingleAsync()).IconSha256!;
        using var anonymous = app.CreateLoopbackClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await anonymous.GetAsync($"/icons/{icon}.png");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
                Assert.InRange(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            }
        }
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        using var renewed = await anonymous.GetAsync($"/icons/{icon}.png");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
    }

    [Fact]
    public async Task AnnouncingInChatSaysWhereItGoesAndTheAnnouncementCommandShowsEachTarget()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        teams.Answer(TeamsReleases, new DeliveryResult.Failed("the bot was removed"));
        var app = Host(slack, teams);
        await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral, TeamsReleases);

        var announced = await SayAsync(app, SlackQa, "announce demo beta", releaseManager: true);
        await SettleAsync(app);
        var status = await SayAsync(app, SlackQa, "announcement 1", releaseManager: true);
        var builds = await SayAsync(app, SlackGeneral, "builds");

        Assert.Equal("Announcing Demo & Co 1.0 (187) in beta to 2 conversations (announcement 1). \"announcement 1\" shows who received it and what failed.", announced.Text);
        Assert.Equal("Announcement 1: 1 delivered, 1 failed", status.Text);
        Assert.Contains("Releases (teams) failed for good after 1 attempt: the bot was removed", AllText(status), StringComparison.Ordinal);
        Assert.Contains("#general (slack) delivered", AllText(status), StringComparison.Ordinal);
        Assert.Contains("Announced here\nDemo & Co (demo) beta", AllText(builds), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASubscriptionIsUniquePerAppChannelPlatformAndConversation()
    {
        FakeMessenger slack = new("slack"), teams = new("teams");
        var app = Host(slack, teams);
        await UploadAsync(app);
        await SubscribeAsync(app, SlackGeneral, SlackGeneral with { Platform = "teams" });

        var again = await SayAsync(app, SlackGeneral with { Name = "#general-renamed" }, "subscribe demo beta");
        var unsubscribed = await SayAsync(app, SlackGeneral, "unsubscribe demo");
        var afterwards = await SayAsync(app, SlackGeneral, "builds");

        Assert.Equal("This conversation is already subscribed to Demo & Co beta.", again.Text);
        Assert.StartsWith("Unsubscribed", unsubscribed.Text, StringComparison.Ordinal);
        Assert.Contains("Nothing yet", AllText(afterwards), StringComparison.Ordinal);
        await using var scope = app.Services.CreateAsyncScope();
        var left = Assert.Single(await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Subscriptions.AsNoTracking().ToListAsync());
        Assert.Equal(("teams", "C-general"), (left.Platform, left.ConversationId));
    }
}

/// <summary>
/// A chat platform that records every post it was asked for, answers what a test scripted for a conversation
/// (then delivers), and can hold posts to a conversation until the host stops.
/// </summary>
internal sealed class FakeMessenger(string platform) : IConversationMessenger
{
    public static readonly DeliveryResult ServerError = new DeliveryResult.Retry(null, "500 Internal Server Error");

    private readonly ConcurrentDictionary<string, ConcurrentQueue<DeliveryResult>> _script = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _blocked = new(StringComparer.Ordinal);

    public string Platform => platform;

    public FakeTimeProvider? Clock { get; set; }

    /// <summary>Every completed post: where, what, when (on the host's clock) and what the platform answered.</summary>
    public ConcurrentQueue<(ConversationAddress To, ChatReply Message, DateTimeOffset At, DeliveryResult Result)> Posts { get; } = new();

    /// <summary>Every post that began, including those still held.</summary>
    public ConcurrentQueue<ConversationAddress> Started { get; } = new();

    public static DeliveryResult RateLimited(TimeSpan retryAfter) => new DeliveryResult.Retry(retryAfter, "429 Too Many Requests");

    public void Answer(ConversationAddress to, params DeliveryResult[] answers) =>
        _script[to.ConversationId] = new ConcurrentQueue<DeliveryResult>(answers);

    public void Block(ConversationAddress to) => _blocked[to.ConversationId] = true;

    public int DeliveredTo(ConversationAddress to) =>
        Posts.Count(p => p.To.ConversationId == to.ConversationId && p.To.Platform == to.Platform && p.Result is DeliveryResult.Delivered);

    public async Task<DeliveryResult> PostAsync(ConversationAddress conversation, ChatReply message, CancellationToken cancellationToken)
    {
        Started.Enqueue(conversation);
        if (_blocked.ContainsKey(conversation.ConversationId))
        {
            // Held until the host stops: the post never completes, as if the process died mid-request.
            await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
        }
        var result = _script.TryGetValue(conversation.ConversationId, out var answers) && answers.TryDequeue(out var scripted)
            ? scripted
            : new DeliveryResult.Delivered($"{platform}-{Posts.Count + 1}");
        Posts.Enqueue((conversation, message, Clock?.GetUtcNow() ?? default, result));
        return result;
    }
}
