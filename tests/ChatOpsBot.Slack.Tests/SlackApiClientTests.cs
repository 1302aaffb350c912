using System.Text.Json.Nodes;
using ChatOpsBot.Tests;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack.Tests;

public sealed class SlackApiClientTests : IAsyncLifetime
{
    private FakeSlackApi _slack = null!;
    private static readonly HttpClient Http = new();

    public async Task InitializeAsync() => _slack = await FakeSlackApi.StartAsync();

    public async Task DisposeAsync()
    {
        await _slack.DisposeAsync();
    }

    private SlackApiClient Client(int maxAttempts = 4) => new(Http, Options.Create(new SlackOptions
    {
        SigningSecret = "secret",
        BotToken = "xoxb-test-token",
        ApiBaseUrl = _slack.ApiBaseUrl,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxAttempts = maxAttempts,
    }), TimeProvider.System, NullLogger<SlackApiClient>.Instance);

    private static JsonObject Message() => new() { ["text"] = "hello" };

    [Fact]
    public async Task PostMessageSendsJsonWithACharsetAndTheBotToken()
    {
        await Client().PostMessageAsync("C1", Message(), threadTs: "1.2", CancellationToken.None);

        var call = Assert.Single(_slack.Calls);
        Assert.Equal("/api/chat.postMessage", call.Path);
        Assert.Equal("Bearer xoxb-test-token", call.Authorization);
        Assert.Equal("application/json; charset=utf-8", call.ContentType);
        Assert.Equal("C1", call.Json.GetProperty("channel").GetString());
        Assert.Equal("hello", call.Json.GetProperty("text").GetString());
        Assert.Equal("1.2", call.Json.GetProperty("thread_ts").GetString());
    }

    [Fact]
    public async Task PostEphemeralNamesTheChannelAndTheUser()
    {
        await Client().PostEphemeralAsync("C1", "U1", Message(), threadTs: null, CancellationToken.None);

        var call = Assert.Single(_slack.Calls);
        Assert.Equal("/api/chat.postEphemeral", call.Path);
        Assert.Equal("U1", call.Json.GetProperty("user").GetString());
        Assert.False(call.Json.TryGetProperty("thread_ts", out _));
    }

    [Theory]
    [InlineData("invalid_auth")]
    [InlineData("channel_not_found")]
    [InlineData("not_in_channel")]
    public async Task OkFalseSurfacesSlacksErrorCodeWithoutRetrying(string code)
    {
        _slack.Enqueue("/api/chat.postMessage", FakeSlackAnswer.Error(code));

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client().PostMessageAsync("C1", Message(), null, CancellationToken.None));

        Assert.Equal(code, error.Error);
        Assert.Equal("chat.postMessage", error.Method);
        Assert.Single(_slack.Calls);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public async Task TooManyRequestsIsRetriedAfterRetryAfter(string retryAfter)
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(429, """{"ok":false,"error":"ratelimited"}""", retryAfter));

        await Client().PostMessageAsync("C1", Message(), null, CancellationToken.None);

        Assert.Equal(2, _slack.Calls.Count);
    }

    [Fact]
    public async Task ServerErrorIsRetriedWithBackoffUntilItSucceeds()
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(500, "oops"), new FakeSlackAnswer(503, "busy"));

        var answer = await Client().PostMessageAsync("C1", Message(), null, CancellationToken.None);

        Assert.True(answer.GetProperty("ok").GetBoolean());
        Assert.Equal(3, _slack.Calls.Count);
        Assert.All(_slack.Calls, c => Assert.Equal("hello", c.Json.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ServerErrorsBeyondTheAttemptLimitSurfaceAsAnError()
    {
        _slack.Enqueue("/api/chat.postMessage", new FakeSlackAnswer(500, "oops"), new FakeSlackAnswer(500, "oops"), new FakeSlackAnswer(500, "oops"));

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client(maxAttempts: 3).PostMessageAsync("C1", Message(), null, CancellationToken.None));

        Assert.Equal("http_500", error.Error);
        Assert.Equal(3, _slack.Calls.Count);
    }

    [Fact]
    public async Task ResponseUrlGetsTheMessageWithoutTheBotToken()
    {
        var url = new Uri(_slack.ResponseUrl("T1/123/abc"));

        await Client().RespondAsync(url, new JsonObject { ["text"] = "done", ["replace_original"] = false }, CancellationToken.None);

        var call = Assert.Single(_slack.Calls);
        Assert.Equal("/hooks/T1/123/abc", call.Path);
        Assert.Null(call.Authorization);
        Assert.False(call.Json.GetProperty("replace_original").GetBoolean());
    }

    [Fact]
    public async Task ExpiredResponseUrlSurfacesAsAnError()
    {
        _slack.Enqueue("/hooks/old", new FakeSlackAnswer(404, "expired_url"));

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client().RespondAsync(new Uri(_slack.ResponseUrl("old")), Message(), CancellationToken.None));

        Assert.Equal("http_404", error.Error);
    }
}
