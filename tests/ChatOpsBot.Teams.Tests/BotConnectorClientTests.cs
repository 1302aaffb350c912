using System.Text.Json.Nodes;
using ChatOpsBot.Tests;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams.Tests;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class BotConnectorClientTests : IAsyncLifetime
{
    private readonly FakeBotFramework _microsoft = new();
    private TeamsServices _services = null!;

    public async Task InitializeAsync()
    {
        // A long base delay: only Retry-After can make a retry come after a few seconds.
        _services = new TeamsServices(_microsoft, new() { ["Teams:RetryBaseDelay"] = "00:10:00" });
        await _services.TrustAsync(_microsoft.ServiceUrl);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    private static JsonObject Reply() => new() { ["type"] = "message", ["text"] = "hi" };

    [Theory]
    [InlineData("https://smba.trafficmanager.net/amer/", "https://smba.trafficmanager.net/amer/v3/conversations/a%3A1Xk9%3Bmessageid%3D17/activities/17")]
    [InlineData("https://smba.trafficmanager.net/amer", "https://smba.trafficmanager.net/amer/v3/conversations/a%3A1Xk9%3Bmessageid%3D17/activities/17")]
    public void ReplyUrlEscapesTheIdsWithoutADoubleSlash(string serviceUrl, string expected) =>
        Assert.Equal(expected, BotConnectorClient.ActivitiesUrl(serviceUrl, "a:1Xk9;messageid=17", "17").AbsoluteUri);

    [Fact]
    public void ConversationIdWithSlashesAndAtSignsIsEscaped() =>
        Assert.Equal("https://x.example/v3/conversations/19%3Aab%2Fcd%40thread.tacv2/activities",
            BotConnectorClient.ActivitiesUrl("https://x.example/", "19:ab/cd@thread.tacv2", null).AbsoluteUri);

    [Fact]
    public async Task ReplyIsPostedWithTheBotsTokenAndReturnsTheNewId()
    {
        var id = await _services.Get<BotConnectorClient>().ReplyAsync(_microsoft.ServiceUrl, "a:1", "17", Reply(), CancellationToken.None);

        var call = Assert.Single(_microsoft.Posts);
        Assert.Equal("1:reply-1", id);
        Assert.Equal("/teams/v3/conversations/a%3A1/activities/17", call.RawTarget);
        Assert.Equal("Bearer connector-token-1", call.Authorization);
        Assert.Equal("hi", call.Body.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(429)]
    [InlineData(412)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task ThrottledAndGatewayFailuresAreRetriedAfterRetryAfter(int status)
    {
        _microsoft.ConnectorFailures.Enqueue((status, "7"));

        var send = _services.Get<BotConnectorClient>().ReplyAsync(_microsoft.ServiceUrl, "a:1", "17", Reply(), CancellationToken.None);
        var delay = await _services.Clock.NextTimerAsync();
        _services.Clock.Inner.Advance(delay);

        Assert.Equal(TimeSpan.FromSeconds(7), delay);
        Assert.Equal("1:reply-2", await send);
        Assert.Equal(2, _microsoft.Posts.Count);
    }

    [Fact]
    public async Task WithoutRetryAfterTheBackoffDoublesWithJitter()
    {
        var baseDelay = TimeSpan.FromSeconds(1);

        var delays = Enumerable.Range(1, 3).Select(attempt => BotConnectorClient.RetryDelay(null, attempt, baseDelay, DateTimeOffset.UnixEpoch)).ToList();

        Assert.InRange(delays[0], TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        Assert.InRange(delays[1], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.InRange(delays[2], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void RetryAfterAsADateIsHonouredAndCapped()
    {
        var now = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(30), BotConnectorClient.RetryDelay(new(now.AddSeconds(30)), 1, TimeSpan.Zero, now));
        Assert.Equal(BotConnectorClient.MaxRetryAfter, BotConnectorClient.RetryDelay(new(TimeSpan.FromHours(1)), 1, TimeSpan.Zero, now));
    }

    [Fact]
    public async Task RetriesStopAfterTheConfiguredAttempts()
    {
        await using var services = new TeamsServices(_microsoft, new() { ["Teams:MaxAttempts"] = "2", ["Teams:RetryBaseDelay"] = "00:00:00" });
        await services.TrustAsync(_microsoft.ServiceUrl);
        _microsoft.ConnectorFailures.Enqueue((429, null));
        _microsoft.ConnectorFailures.Enqueue((429, null));
        _microsoft.ConnectorFailures.Enqueue((429, null));

        var id = await services.Get<BotConnectorClient>().ReplyAsync(_microsoft.ServiceUrl, "a:1", "17", Reply(), CancellationToken.None);

        Assert.Null(id);
        Assert.Equal(2, _microsoft.Posts.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(500)]
    public async Task OtherFailuresAreNotRetried(int status)
    {
        _microsoft.ConnectorFailures.Enqueue((status, "1"));

        var id = await _services.Get<BotConnectorClient>().ReplyAsync(_microsoft.ServiceUrl, "a:1", "17", Reply(), CancellationToken.None);

        Assert.Null(id);
        Assert.Single(_microsoft.Posts);
    }

    [Theory]
    [InlineData("https://attacker.example/teams/")]
    [InlineData("https://smba.trafficmanager.net/amer/")]
    public async Task TokenIsNeverSentToAServiceUrlThatNoValidatedTokenVouchedFor(string serviceUrl)
    {
        var id = await _services.Get<BotConnectorClient>().ReplyAsync(serviceUrl, "a:1", "17", Reply(), CancellationToken.None);

        Assert.Null(id);
        Assert.Empty(_microsoft.TokenRequests);
    }

    [Fact]
    public void OptionsNameTheMissingKeys()
    {
        var result = new TeamsOptionsValidator().Validate(null, new TeamsOptions
        {
            MicrosoftAppId = FakeBotFramework.AppId,
            ToBotFromChannelOpenIdMetadataUrl = "http://login.example/v1/.well-known/openidconfiguration",
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Teams:MicrosoftAppPassword", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Teams:MicrosoftAppTenantId", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Teams:ToBotFromChannelOpenIdMetadataUrl", StringComparison.Ordinal));
        Assert.Equal(ValidateOptionsResult.Skip, new TeamsOptionsValidator().Validate(null, new TeamsOptions()));
    }
}
