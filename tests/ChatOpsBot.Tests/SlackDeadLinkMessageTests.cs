using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Data;
using ChatOpsBot.Features.LinkMessages;
using ChatOpsBot.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// The Slack message of a link that died is replaced through its response URL, while Slack allows it. Each test has a
/// host of its own: the clock moves, and some change the configuration.
/// </summary>
public sealed partial class SlackEndToEndTests
{
    private const string CommandHook = "/hooks/commands/T0WORK/1/abc";

    /// <summary>This test's own host again, with these settings on top of the Slack ones.</summary>
    private void Reconfigure(Dictionary<string, string?> extra)
    {
        _ownClient?.Dispose();
        _ownApp?.Dispose();
        _ownApp = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(SlackSettings(extra)));
        _ownClient = _ownApp.CreateLoopbackClient();
        _own = null;
    }

    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    private async Task<JsonElement> InstallInlineAsync()
    {
        using var response = await CommandAsync("/install", "demo beta");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await response.Content.ReadFromJsonAsync<JsonElement>();
        InstallButton(message);
        return message;
    }

    private async Task<List<SentLinkMessage>> LinkMessagesAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().LinkMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync();
    }

    private static void AssertDeadLinkNotice(FakeSlackCall call, string headline)
    {
        Assert.Equal(CommandHook, call.Path);
        Assert.Null(call.Authorization);
        Assert.True(call.Json.GetProperty("replace_original").GetBoolean());
        Assert.Equal($"{headline} Run \"/install demo beta\" for a new one.", call.Json.GetProperty("text").GetString());
        Assert.DoesNotContain(Blocks(call.Json), b => b.GetProperty("type").GetString() is "actions" or "image");
        Assert.DoesNotContain("/i/", call.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InlineInstallAnswerIsReplacedOnceThroughItsResponseUrlWhenTheLinkExpiresWithinSlacksThirtyMinutes()
    {
        Reconfigure(new() { ["ChatOpsBot:Links:Lifetime"] = "00:20:00" });
        await UploadAsync();
        await InstallInlineAsync();

        _app.Clock.Advance(TimeSpan.FromMinutes(20));
        // The expiry job hands the message to an update job, which runs with the other due jobs.
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        Assert.Equal(1, await _app.RunJobsAsync());
        var call = await _slack.NextCallAsync();

        AssertDeadLinkNotice(call, "This install link for iOS has expired.");

        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));

        Assert.Single(_slack.Calls);
    }

    [Fact]
    public async Task ExpiryAfterTheResponseUrlsThirtyMinutesPostsNothingAndForgetsTheResponseUrl()
    {
        await UploadAsync();
        await InstallInlineAsync();

        _app.Clock.Advance(TimeSpan.FromHours(1));
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));

        Assert.Empty(_slack.Calls);
        var message = Assert.Single(await LinkMessagesAsync());
        Assert.Equal(LinkMessageState.NotUpdated, message.State);
        Assert.Null(message.ResponseUrl);
    }

    [Fact]
    public async Task RevokingTheBuildReplacesTheInstallAnswerAtOnce()
    {
        var buildId = await UploadAsync();
        await InstallInlineAsync();
        _app.Clock.Advance(TimeSpan.FromMinutes(5));

        using (var api = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var revoked = await api.DeleteAsync($"/api/v1/builds/{buildId}"))
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));

        AssertDeadLinkNotice(Assert.Single(_slack.Calls), "This install link for iOS was revoked.");
        var message = Assert.Single(await LinkMessagesAsync());
        Assert.Equal(LinkMessageState.Updated, message.State);
        Assert.Equal(1, message.ResponseUrlUses);
    }

    [Fact]
    public async Task AnswerFinishedThroughTheResponseUrlCountsThatUseAndIsReplacedToo()
    {
        Reconfigure(new() { ["Slack:CommandBudget"] = "00:00:00", ["ChatOpsBot:Links:Lifetime"] = "00:20:00" });
        await UploadAsync();
        using (var response = await CommandAsync("/install", "demo beta"))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await _slack.NextCallAsync();
        InstallButton(answer.Json);
        // The answer is recorded by the fake before the host remembers it: wait (bounded) for the row.
        var remembered = await LinkMessagesAsync();
        for (var i = 0; i < 300 && remembered.Count == 0; i++)
        {
            await Task.Delay(100);
            remembered = await LinkMessagesAsync();
        }
        Assert.Equal(1, Assert.Single(remembered).ResponseUrlUses);

        _app.Clock.Advance(TimeSpan.FromMinutes(20));
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));

        AssertDeadLinkNotice(_slack.Calls[^1], "This install link for iOS has expired.");
        Assert.Equal(2, _slack.Calls.Count);
        Assert.Equal(2, Assert.Single(await LinkMessagesAsync()).ResponseUrlUses);
    }

    [Fact]
    public async Task ResponseUrlThatFailsIsTriedOnceAndExpiryIsNotHeldUp()
    {
        Reconfigure(new() { ["ChatOpsBot:Links:Lifetime"] = "00:20:00" });
        await UploadAsync();
        await InstallInlineAsync();
        _slack.Enqueue(CommandHook, new FakeSlackAnswer(500, "boom"));

        _app.Clock.Advance(TimeSpan.FromMinutes(20));
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));

        Assert.Single(_slack.Calls);
        Assert.Equal(LinkMessageState.NotUpdated, Assert.Single(await LinkMessagesAsync()).State);
        await using var scope = _app.Services.CreateAsyncScope();
        Assert.True((await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.SingleAsync()).ExpiresAt <= _app.Clock.GetUtcNow().UtcDateTime);
    }

    [Fact]
    public async Task RevokingTheAndroidBuildOfALinkForBothPhonesReplacesTheAnswerNamingBothPlatforms()
    {
        await UploadAsync();
        var (android, _) = await Own.UploadApkAsync();
        var message = await InstallInlineAsync();
        Assert.Equal("Install on iPhone or Android", InstallButton(message).GetProperty("text").GetProperty("text").GetString());
        _app.Clock.Advance(TimeSpan.FromMinutes(5));

        using (var api = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var revoked = await api.DeleteAsync($"/api/v1/builds/{android}"))
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));

        AssertDeadLinkNotice(Assert.Single(_slack.Calls), "This install link for iOS and Android was revoked.");
        Assert.Equal(LinkMessageState.Updated, Assert.Single(await LinkMessagesAsync()).State);
    }
}
