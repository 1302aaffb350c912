using ChatOpsBot.Core.Chat;
using ChatOpsBot.Tests;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack.Tests;

public sealed class SlackMessengerTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private static readonly ConversationAddress General = new("slack", "T1", "C0GENERAL", Name: "#general");

    private FakeSlackApi _slack = null!;

    public async Task InitializeAsync() => _slack = await FakeSlackApi.StartAsync();

    public async Task DisposeAsync() => await _slack.DisposeAsync();

    private SlackMessenger Messenger(string? apiBaseUrl = null) => new(new SlackApiClient(Http, Options.Create(new SlackOptions
    {
        SigningSecret = "secret",
        BotToken = "xoxb-test-token",
        ApiBaseUrl = apiBaseUrl ?? _slack.ApiBaseUrl,
        // The client's own retries would answer 429 and 500 here; the messenger must not use them.
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxAttempts = 4,
    }), TimeProvider.System, NullLogger<SlackApiClient>.Instance), Options.Create(new SlackOptions()));

    private static ChatReply Announcement() => new("Demo 1.0 (7) is out in beta",
    [
        new HeaderBlock("Demo 1.0 (7) is out in beta"),
        new ListItemBlock("Demo 1.0 (7)", "Each person gets their own install link.", new ReplyAction("Get my install link", ChatActions.GetLink, "42")),
    ]) { Private = false };

    private Task<DeliveryResult> PostAsync() => Messenger().PostAsync(General, Announcement(), CancellationToken.None);

    [Fact]
    public async Task AnnouncementIsPostedToTheChannelWithItsGetMyInstallLinkButtonAndDeliveredWithSlacksTs()
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(200, """{"ok":true,"channel":"C0GENERAL","ts":"1795424400.000300"}"""));

        var result = await PostAsync();

        Assert.Equal(new DeliveryResult.Delivered("1795424400.000300"), result);
        var call = Assert.Single(_slack.Calls);
        Assert.Equal("/api/chat.postMessage", call.Path);
        Assert.Equal("Bearer xoxb-test-token", call.Authorization);
        Assert.Equal("C0GENERAL", call.Json.GetProperty("channel").GetString());
        Assert.False(call.Json.TryGetProperty("response_type", out _));
        var button = call.Json.GetProperty("blocks").EnumerateArray()
            .Where(b => b.TryGetProperty("accessory", out _)).Select(b => b.GetProperty("accessory")).Single();
        Assert.Equal("Get my install link", button.GetProperty("text").GetProperty("text").GetString());
        Assert.Equal(ChatActions.GetLink, button.GetProperty("action_id").GetString());
        Assert.Equal("42", button.GetProperty("value").GetString());
        Assert.False(button.TryGetProperty("url", out _));
    }

    [Fact]
    public async Task RateLimitIsOneAttemptAnsweredWithRetryAndSlacksRetryAfter()
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(429, """{"ok":false,"error":"ratelimited"}""", RetryAfter: "90"));

        var result = await PostAsync();

        var retry = Assert.IsType<DeliveryResult.Retry>(result);
        Assert.Equal(TimeSpan.FromSeconds(90), retry.RetryAfter);
        Assert.Single(_slack.Calls);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ServerErrorIsOneAttemptAnsweredWithRetry(int status)
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(status, "oops"));

        var result = await PostAsync();

        var retry = Assert.IsType<DeliveryResult.Retry>(result);
        Assert.Null(retry.RetryAfter);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), retry.Error, StringComparison.Ordinal);
        Assert.Single(_slack.Calls);
    }

    [Theory]
    [InlineData("internal_error")]
    [InlineData("fatal_error")]
    [InlineData("service_unavailable")]
    public async Task SlacksOwnTroubleReportedAsOkFalseIsWorthAnotherTry(string code)
    {
        _slack.Enqueue("/api/chat.postMessage", FakeSlackAnswer.Error(code));

        Assert.Equal(new DeliveryResult.Retry(null, code), await PostAsync());
    }

    [Theory]
    [InlineData("channel_not_found")]
    [InlineData("not_in_channel")]
    [InlineData("is_archived")]
    [InlineData("account_inactive")]
    [InlineData("invalid_auth")]
    [InlineData("token_revoked")]
    [InlineData("missing_scope")]
    [InlineData("invalid_blocks")]
    public async Task RefusalsThatRetryingCannotFixFailForGoodWithSlacksCode(string code)
    {
        _slack.Enqueue("/api/chat.postMessage", FakeSlackAnswer.Error(code));

        Assert.Equal(new DeliveryResult.Failed(code), await PostAsync());
        Assert.Single(_slack.Calls);
    }

    [Fact]
    public async Task ClientErrorWithoutASlackAnswerFailsForGood()
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(404, "not found"));

        Assert.Equal(new DeliveryResult.Failed("http_404"), await PostAsync());
    }

    [Fact]
    public async Task UnreachableSlackIsWorthAnotherTry()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await Messenger($"http://127.0.0.1:{port}/api/").PostAsync(General, Announcement(), CancellationToken.None);

        Assert.StartsWith("network error", Assert.IsType<DeliveryResult.Retry>(result).Error, StringComparison.Ordinal);
    }
}
