using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Web;
using ChatOpsBot.Slack;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Web;

/// <summary>
/// The console's chat pages (Subscriptions, an announcement, Try a command, Health) on the real host, with Slack and
/// Teams enabled against their loopback fakes, so a test can see that the pages post nothing to either.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class ChatPagesTests : IAsyncLifetime
{
    private const string SigningSecret = "slack-signing-secret-for-tests";
    private const string BotToken = "xoxb-console-test-token-0123456789";

    private readonly FakeBotFramework _microsoft = new();
    private FakeSlackApi _slack = null!;
    private ChatOpsBotApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        var settings = _microsoft.Settings();
        settings["Slack:SigningSecret"] = SigningSecret;
        settings["Slack:BotToken"] = BotToken;
        settings["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl;
        _app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings), servePublicBaseUrl: true);
        _client = _app.CreateLoopbackClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _slack.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    private ConsoleBrowser SignedIn(ConsoleRole role, string userId = "U0001", string name = "Ada")
    {
        var browser = new ConsoleBrowser(_app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(role, userId, name));
        return browser;
    }

    private async Task SubscribeInSlackAsync(string channel)
    {
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            type = "event_callback",
            team_id = "T0001",
            event_id = "Ev-subscribe-" + channel,
            authorizations = new[] { new { team_id = "T0001", user_id = "U0BOT", is_bot = true } },
            @event = new { type = "app_mention", user = "U0ALICE", text = "<@U0BOT> subscribe demo beta", ts = "1795424400.000100", channel },
        }));
        var timestamp = _app.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/slack/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SigningSecret, timestamp, body));
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await _slack.NextCallAsync();
        Assert.StartsWith("Subscribed", reply.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    private async Task<long> AnnounceAsync(long buildId)
    {
        using var api = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var response = await api.PostAsync($"/api/v1/builds/{buildId}/announcements", null);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<T> DbAsync<T>(Func<ChatOpsBotDb, Task<T>> read)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>());
    }

    private static string Section(string html, string id)
    {
        var match = Regex.Match(html, $"<section[^>]*id=\"{id}\".*?</section>", RegexOptions.Singleline);
        Assert.True(match.Success, $"no section {id} in {html}");
        return match.Value;
    }

    /// <summary>The form itself carries the token: the layout's sign-out form has one too, which a test posting would otherwise borrow.</summary>
    private static void AssertFormHasItsToken(string html, string action) =>
        Assert.Matches(new Regex($"<form[^>]*action=\"{Regex.Escape(action)}\"[^>]*>(?:(?!</form>).)*name=\"__antiforgery\"", RegexOptions.Singleline), html);

    [Fact]
    public async Task SubscriptionsPageListsAConversationSubscribedThroughSlack()
    {
        await _app.UploadDemoAsync();
        await SubscribeInSlackAsync("C0RELEASES");
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        var html = await browser.GetPageAsync("/subscriptions");

        var table = Regex.Match(html, "<table id=\"subscriptions\">.*?</table>", RegexOptions.Singleline).Value;
        var row = Assert.Single(Regex.Matches(table, "<tr id=\"subscription-\\d+\">.*?</tr>", RegexOptions.Singleline));
        Assert.Contains("<td>beta</td>", row.Value, StringComparison.Ordinal);
        Assert.Contains("(demo)", row.Value, StringComparison.Ordinal);
        Assert.Contains("C0RELEASES", row.Value, StringComparison.Ordinal);
        Assert.Contains("Slack", row.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReleaseManagerRemovesASubscriptionAfterConfirmingIt()
    {
        await _app.UploadDemoAsync();
        await SubscribeInSlackAsync("C0RELEASES");
        var id = await DbAsync(db => db.Subscriptions.Select(s => s.Id).SingleAsync());
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        var confirm = await browser.GetPageAsync($"/subscriptions?remove={id}");
        Assert.Contains("id=\"confirm-remove\"", confirm, StringComparison.Ordinal);
        AssertFormHasItsToken(confirm, "/subscriptions?handler=Remove");
        Assert.Equal(1, await DbAsync(db => db.Subscriptions.CountAsync()));
        using var removed = await browser.SubmitAsync($"/subscriptions?remove={id}", [new("id", id.ToString(CultureInfo.InvariantCulture))], "/subscriptions?handler=Remove");

        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Equal(0, await DbAsync(db => db.Subscriptions.CountAsync()));
        Assert.Contains("id=\"no-subscriptions\"", await browser.GetPageAsync("/subscriptions?removed=true"), StringComparison.Ordinal);
        using var again = await browser.SubmitAsync("/subscriptions", [new("id", id.ToString(CultureInfo.InvariantCulture))], "/subscriptions?handler=Remove");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task RemovingASubscriptionWithoutTheAntiforgeryTokenIsRefused()
    {
        await _app.UploadDemoAsync();
        await SubscribeInSlackAsync("C0RELEASES");
        var id = await DbAsync(db => db.Subscriptions.Select(s => s.Id).SingleAsync());
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        using var response = await browser.PostFormAsync("/subscriptions?handler=Remove", [new("id", id.ToString(CultureInfo.InvariantCulture))]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, await DbAsync(db => db.Subscriptions.CountAsync()));
    }

    [Fact]
    public async Task MemberCannotSeeSubscriptionsOrAnnouncements()
    {
        using var browser = SignedIn(ConsoleRole.Member);

        foreach (var path in new[] { "/subscriptions", "/announcements/1" })
        {
            using var response = await browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/denied", response.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FailedSlackDeliveryShowsItsLastErrorOnBothPages()
    {
        await _app.UploadDemoAsync();
        await SubscribeInSlackAsync("C0ARCHIVED");
        var buildId = await DbAsync(db => db.Builds.Select(b => b.Id).SingleAsync());
        _slack.Enqueue("/api/chat.postMessage", FakeSlackAnswer.Error("is_archived"));

        var announcementId = await AnnounceAsync(buildId);
        var deliveries = await AnnouncementsTests.SettleAsync(_app);
        Assert.Equal(DeliveryState.Failed, Assert.Single(deliveries).State);
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        var list = await browser.GetPageAsync("/subscriptions");
        var card = Regex.Match(list, $"<article class=\"card\" id=\"announcement-{announcementId}\".*?</article>", RegexOptions.Singleline).Value;
        Assert.Contains("data-state=\"failed\"", card, StringComparison.Ordinal);
        Assert.Contains("is_archived", Regex.Match(card, "<td class=\"last-error\">([^<]*)</td>").Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains("0 delivered", card, StringComparison.Ordinal);
        Assert.Contains("1 failed", card, StringComparison.Ordinal);
        var details = await browser.GetPageAsync($"/announcements/{announcementId}");
        Assert.Contains("C0ARCHIVED", details, StringComparison.Ordinal);
        Assert.Contains("is_archived", Regex.Match(details, "<td class=\"last-error\">([^<]*)</td>").Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains("0 delivered, 0 on the way, 1 failed", details, StringComparison.Ordinal);
        using var unknown = await browser.GetAsync("/announcements/999999");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task TryInstallRendersTheSlackButtonToThePersonalInstallPageAndTheTeamsCardAndPostsNothing()
    {
        await _app.UploadDemoAsync();
        using var browser = SignedIn(ConsoleRole.Member);
        var slackCalls = _slack.Calls.Count;

        using var response = await browser.SubmitAsync("/try", [new("command", "install demo beta")]);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var link = await DbAsync(db => db.InstallLinks.AsNoTracking().SingleAsync());
        Assert.Equal(("slack", "T0001", "U0001", "Ada"), (link.Platform, link.Workspace, link.UserId, link.UserName));
        var installPage = $"{_app.PublicBaseUrl}/i/";
        var slack = Section(html, "slack-preview");
        var slackButton = Regex.Match(slack, "<a class=\"button chat-button\" href=\"([^\"]+)\">Install on iPhone</a>");
        Assert.True(slackButton.Success, slack);
        Assert.StartsWith(installPage, slackButton.Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains("<dt>Link expires</dt>", slack, StringComparison.Ordinal);
        Assert.Contains($"<img class=\"chat-image\" src=\"{slackButton.Groups[1].Value}/qr.png\"", slack, StringComparison.Ordinal);
        var teams = Section(html, "teams-preview");
        var teamsButton = Regex.Match(teams, "<a class=\"button chat-button\" href=\"([^\"]+)\">Install on iPhone</a>");
        Assert.Equal(slackButton.Groups[1].Value, teamsButton.Groups[1].Value);
        Assert.Contains("<dt>Channel</dt><dd>beta</dd>", teams, StringComparison.Ordinal);
        // The address in the Teams card's small print is a link to itself, as the card makes it.
        Assert.Contains($"<a href=\"{teamsButton.Groups[1].Value}\">{teamsButton.Groups[1].Value}</a>", teams, StringComparison.Ordinal);
        Assert.Equal(slackCalls, _slack.Calls.Count);
        Assert.Empty(_microsoft.Posts);
    }

    [Fact]
    public async Task TryBuildsOffersGetLinkButtonsThatMintALinkWhenPressed()
    {
        await _app.UploadDemoAsync();
        using var browser = SignedIn(ConsoleRole.Member);

        using var builds = await browser.SubmitAsync("/try", [new("command", "builds demo")]);
        var html = await builds.Content.ReadAsStringAsync();
        var buildId = await DbAsync(db => db.Builds.Select(b => b.Id).SingleAsync());
        AssertFormHasItsToken(html, "/try");
        AssertFormHasItsToken(Section(html, "slack-preview"), "/try?handler=Action");
        Assert.Contains($"name=\"value\" value=\"{buildId}\"", Section(html, "slack-preview"), StringComparison.Ordinal);
        Assert.Contains($"name=\"value\" value=\"{buildId}\"", Section(html, "teams-preview"), StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.InstallLinks.CountAsync()));

        using var pressed = await browser.SubmitAsync("/try",
            [new("actionId", ChatActions.GetLink), new("value", buildId.ToString(CultureInfo.InvariantCulture))], "/try?handler=Action");

        Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        Assert.Contains(">Install on iPhone</a>", await pressed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await DbAsync(db => db.InstallLinks.CountAsync()));
    }

    [Fact]
    public async Task MemberTryingRevokeGetsTheEnginesRefusalAndTheBuildStays()
    {
        await _app.UploadDemoAsync();
        var build = await DbAsync(db => db.Builds.AsNoTracking().SingleAsync());
        using var browser = SignedIn(ConsoleRole.Member);

        using var response = await browser.SubmitAsync("/try", [new("command", $"revoke demo beta {build.BuildNumber}")]);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Sorry, only release managers can revoke builds.", Section(html, "slack-preview"), StringComparison.Ordinal);
        Assert.Contains("Sorry, only release managers can revoke builds.", Section(html, "teams-preview"), StringComparison.Ordinal);
        Assert.Equal(BuildState.Active, await DbAsync(db => db.Builds.Select(b => b.State).SingleAsync()));
        Assert.Empty(_slack.Calls);
        Assert.Empty(_microsoft.Posts);
    }

    [Fact]
    public async Task ReleaseManagerTryingRevokeRevokesAsChatWould()
    {
        await _app.UploadDemoAsync();
        var build = await DbAsync(db => db.Builds.AsNoTracking().SingleAsync());
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        using var response = await browser.SubmitAsync("/try", [new("command", $"revoke demo beta {build.BuildNumber}")]);

        Assert.Contains("Revoked", Section(await response.Content.ReadAsStringAsync(), "slack-preview"), StringComparison.Ordinal);
        Assert.Equal(BuildState.Revoked, await DbAsync(db => db.Builds.Select(b => b.State).SingleAsync()));
    }

    [Theory]
    [InlineData("", "What I can do")]
    [InlineData("frobnicate now", "I don't know \"frobnicate\"")]
    [InlineData("subscribe demo beta", "Subscriptions and announcements are not available here.")]
    public async Task TryAnswersEmptyUnknownAndChannelOnlyCommandsWithTheEnginesOwnReply(string command, string expected)
    {
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        using var response = await browser.SubmitAsync("/try", [new("command", command)]);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, WebUtility.HtmlDecode(Section(html, "slack-preview")), StringComparison.Ordinal);
        Assert.Contains(expected, WebUtility.HtmlDecode(Section(html, "teams-preview")), StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.Subscriptions.CountAsync()));
        Assert.Empty(_slack.Calls);
    }

    [Fact]
    public async Task ReleaseManagerTryingAnnounceReachesNoConversation()
    {
        await _app.UploadDemoAsync();
        await SubscribeInSlackAsync("C0RELEASES");
        var slackCalls = _slack.Calls.Count;
        using var browser = SignedIn(ConsoleRole.ReleaseManager);

        using var response = await browser.SubmitAsync("/try", [new("command", "announce demo beta")]);

        Assert.Contains("not available here", Section(await response.Content.ReadAsStringAsync(), "slack-preview"), StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.Announcements.CountAsync()));
        await _app.RunJobsAsync();
        Assert.Equal(slackCalls, _slack.Calls.Count);
    }

    [Fact]
    public async Task WhatAPersonTypesIsShownEncoded()
    {
        using var browser = SignedIn(ConsoleRole.Member);

        using var response = await browser.SubmitAsync("/try", [new("command", "install <script>alert(1)</script>")]);
        var html = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthShowsTheDoctorFindingsByVerdictWithoutSecrets()
    {
        _slack.Date = _app.Clock.GetUtcNow().AddMinutes(10);
        using var browser = SignedIn(ConsoleRole.Admin);

        var html = await browser.GetPageAsync("/health");

        // Slack's clock ten minutes ahead of the host's: beyond the five minutes signed requests allow.
        var problems = Section(html, "findings-problem");
        Assert.Contains("<strong class=\"check\">Slack clock</strong>", problems, StringComparison.Ordinal);
        Assert.Contains("synchronise the clock", problems, StringComparison.Ordinal);
        // A loopback http origin is for trying ChatOpsBot out: a warning that iOS installs only over https.
        var warnings = Section(html, "findings-warning");
        Assert.Contains("<strong class=\"check\">PublicBaseUrl</strong>", warnings, StringComparison.Ordinal);
        Assert.Contains("<strong class=\"check\">database</strong>", Section(html, "findings-ok"), StringComparison.Ordinal);
        Assert.Contains("id=\"run-again\"", html, StringComparison.Ordinal);
        AssertFormHasItsToken(html, "/health");
        foreach (var secret in new[] { BotToken, SigningSecret, FakeBotFramework.AppPassword, ChatOpsBotApplication.AdminKey, ChatOpsBotApplication.ReleaseManagerKey })
            Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
        using var again = await browser.SubmitAsync("/health", []);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("id=\"findings-problem\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(ConsoleRole.Member))]
    [InlineData(nameof(ConsoleRole.ReleaseManager))]
    public async Task HealthIsForAdministratorsOnly(string role)
    {
        using var browser = SignedIn(Enum.Parse<ConsoleRole>(role));

        using var response = await browser.GetAsync("/health");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var denied = response.Headers.Location!.PathAndQuery;
        Assert.StartsWith("/denied", denied, StringComparison.Ordinal);
        using var page = await browser.GetAsync(denied);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.DoesNotContain("findings", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthBlanksASecretEvenWhenACheckWouldShowIt()
    {
        var settings = ChatOpsBotApplication.WithApiKeys();
        settings["Slack:SigningSecret"] = SigningSecret;
        settings["Slack:BotToken"] = BotToken;
        settings["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl;
        await using var app = new ChatOpsBotApplication(settings, servePublicBaseUrl: true,
            services: services => services.AddSingleton<Core.Doctor.IDoctorCheck>(new TellingCheck($"token {BotToken} and key {ChatOpsBotApplication.ReleaseManagerKey}")));
        using var browser = new ConsoleBrowser(app);
        browser.SignInAs(ConsoleBrowser.SlackPerson(ConsoleRole.Admin));

        var html = await browser.GetPageAsync("/health");

        Assert.Contains("token [redacted] and key [redacted]", html, StringComparison.Ordinal);
        Assert.DoesNotContain(BotToken, html, StringComparison.Ordinal);
    }

    private sealed class TellingCheck(string message) : Core.Doctor.IDoctorCheck
    {
        public Task<IReadOnlyList<Core.Doctor.DoctorFinding>> RunAsync(Core.Doctor.DoctorContext context, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<Core.Doctor.DoctorFinding>>([Core.Doctor.DoctorFinding.Warning("telling", message)]);
    }
}
