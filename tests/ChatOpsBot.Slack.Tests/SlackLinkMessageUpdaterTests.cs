using ChatOpsBot.Core.Chat;
using ChatOpsBot.Tests;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Slack.Tests;

public sealed class SlackLinkMessageUpdaterTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private static readonly DeadLinkNotice Expired = new("install demo beta", Revoked: false);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private FakeSlackApi _slack = null!;

    public async Task InitializeAsync() => _slack = await FakeSlackApi.StartAsync();

    public async Task DisposeAsync() => await _slack.DisposeAsync();

    private SlackLinkMessageUpdater Updater() => new(new SlackApiClient(Http, Options.Create(new SlackOptions
    {
        SigningSecret = "secret",
        BotToken = "xoxb-test-token",
        ApiBaseUrl = _slack.ApiBaseUrl,
        // The client's own retries would answer a 500 here; an update is one attempt.
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxAttempts = 4,
    }), _clock, NullLogger<SlackApiClient>.Instance), _clock);

    private LinkMessage Answer(int uses = 0) =>
        new("slack", _slack.ResponseUrl("commands/T1/1/abc"), _clock.GetUtcNow().AddMinutes(30), uses);

    [Fact]
    public async Task DeadLinkReplacesTheOriginalThroughTheResponseUrlWithoutAButtonOrTheBotToken()
    {
        var updated = await Updater().MarkDeadAsync(Answer(), new DeadLinkNotice("install demo beta", Revoked: true), CancellationToken.None);

        Assert.True(updated);
        var call = Assert.Single(_slack.Calls);
        Assert.Equal("/hooks/commands/T1/1/abc", call.Path);
        Assert.Null(call.Authorization);
        Assert.StartsWith("application/json", call.ContentType, StringComparison.Ordinal);
        Assert.True(call.Json.GetProperty("replace_original").GetBoolean());
        Assert.Equal("This install link was revoked. Run \"/install demo beta\" for a new one.", call.Json.GetProperty("text").GetString());
        var block = Assert.Single(call.Json.GetProperty("blocks").EnumerateArray());
        Assert.Equal("section", block.GetProperty("type").GetString());
        Assert.Equal("This install link was revoked. Run \"/install demo beta\" for a new one.", block.GetProperty("text").GetProperty("text").GetString());
    }

    [Fact]
    public async Task ResponseUrlIsNotUsedOnceItsThirtyMinutesHavePassed()
    {
        var answer = Answer();
        _clock.Advance(TimeSpan.FromMinutes(30));

        Assert.False(await Updater().MarkDeadAsync(answer, Expired, CancellationToken.None));
        Assert.Empty(_slack.Calls);
    }

    [Fact]
    public async Task ResponseUrlIsUsedOneSecondBeforeItsThirtyMinutesEnd()
    {
        var answer = Answer();
        _clock.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));

        Assert.True(await Updater().MarkDeadAsync(answer, Expired, CancellationToken.None));
        Assert.Single(_slack.Calls);
    }

    [Fact]
    public async Task ResponseUrlWhoseFiveUsesAreSpentIsNotUsed()
    {
        Assert.False(await Updater().MarkDeadAsync(Answer(uses: 5), Expired, CancellationToken.None));
        Assert.True(await Updater().MarkDeadAsync(Answer(uses: 4), Expired, CancellationToken.None));
        Assert.Single(_slack.Calls);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(500)]
    [InlineData(429)]
    public async Task RefusedOrFailedUpdateIsOneAttemptAnsweredWithFalse(int status)
    {
        _slack.Enqueue("/hooks/commands/T1/1/abc", new FakeSlackAnswer(status, "expired_url"));

        Assert.False(await Updater().MarkDeadAsync(Answer(), Expired, CancellationToken.None));
        Assert.Single(_slack.Calls);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not a url")]
    [InlineData("ftp://hooks.slack.test/x")]
    public async Task MessageWithoutAUsableResponseUrlIsNotUpdated(string? responseUrl)
    {
        Assert.False(await Updater().MarkDeadAsync(Answer() with { ResponseUrl = responseUrl }, Expired, CancellationToken.None));
        Assert.Empty(_slack.Calls);
    }
}
