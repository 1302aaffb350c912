using ChatOpsBot.Core.Chat;
using ChatOpsBot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Teams.Tests;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class TeamsMessengerTests : IAsyncLifetime
{
    private const string Releases = "19:releases@thread.tacv2";

    private readonly FakeBotFramework _microsoft = new();
    private TeamsServices _services = null!;

    public Task InitializeAsync()
    {
        // A long base delay: the messenger must never wait for the client's own retries.
        _services = new TeamsServices(_microsoft, new() { ["Teams:RetryBaseDelay"] = "00:10:00" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    private ConversationAddress Channel => new("teams", FakeBotFramework.TenantId, Releases, _microsoft.ServiceUrl, "Releases");

    private static ChatReply Announcement() => new("Demo 1.0 (7) is out in beta",
    [
        new HeaderBlock("Demo 1.0 (7) is out in beta"),
        new ListItemBlock("Demo 1.0 (7)", "Each person gets their own install link.", new ReplyAction("Get my install link", ChatActions.GetLink, "42")),
    ]) { Private = false };

    private IConversationMessenger Messenger() =>
        _services.Provider.GetServices<IConversationMessenger>().Single(m => m.Platform == "teams");

    /// <summary>What an activity from the conversation leaves: its service URL, vouched for by a validated token.</summary>
    private Task RememberAsync() => _services.TrustAsync(_microsoft.ServiceUrl);

    private Task<DeliveryResult> PostAsync() => Messenger().PostAsync(Channel, Announcement(), CancellationToken.None);

    [Fact]
    public async Task AnnouncementIsAProactiveCardInTheRememberedConversationDeliveredWithTheActivityId()
    {
        await RememberAsync();

        var result = await PostAsync();

        Assert.Equal(new DeliveryResult.Delivered("1:reply-1"), result);
        var call = Assert.Single(_microsoft.Posts);
        Assert.Equal("/teams/v3/conversations/19%3Areleases%40thread.tacv2/activities", call.RawTarget);
        Assert.Equal("Bearer connector-token-1", call.Authorization);
        Assert.Equal(Releases, call.Body.GetProperty("conversation").GetProperty("id").GetString());
        var card = call.Body.GetProperty("attachments")[0].GetProperty("content");
        var raw = card.GetRawText();
        Assert.Contains("\"title\":\"Get my install link\"", raw, StringComparison.Ordinal);
        Assert.Contains("\"verb\":\"get_link\"", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("Action.OpenUrl", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceUrlThatNoValidatedTokenOrRememberedConversationVouchedForGetsNoTokenAndFailsForGood()
    {
        var result = await PostAsync();

        Assert.IsType<DeliveryResult.Failed>(result);
        Assert.Empty(_microsoft.Posts);
        Assert.Empty(_microsoft.TokenRequests);
    }

    [Fact]
    public async Task ServiceUrlAnotherReplicaTrustedIsTrustedHereThroughTheSharedStore()
    {
        await _services.Get<ITrustedServiceUrlStore>().AddAsync(TrustedServiceUrls.Key(_microsoft.ServiceUrl), CancellationToken.None);

        var result = await PostAsync();

        Assert.IsType<DeliveryResult.Delivered>(result);
        Assert.Single(_microsoft.Posts);
        Assert.True(_services.Get<TrustedServiceUrls>().Contains(_microsoft.ServiceUrl));
    }

    [Fact]
    public async Task ServiceUrlIsTheSameServiceWithoutItsTrailingSlashAndInAnyCase()
    {
        await _services.TrustAsync(_microsoft.ServiceUrl.TrimEnd('/').ToUpperInvariant().Replace("HTTP://", "http://", StringComparison.Ordinal));

        Assert.IsType<DeliveryResult.Delivered>(await PostAsync());
    }

    [Theory]
    [InlineData(429)]
    [InlineData(412)]
    [InlineData(502)]
    [InlineData(504)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ThrottlingAndGatewayFailuresAreOneAttemptAnsweredWithRetryAndTheConnectorsRetryAfter(int status)
    {
        await RememberAsync();
        _microsoft.ConnectorFailures.Enqueue((status, "45"));

        var result = await PostAsync();

        var retry = Assert.IsType<DeliveryResult.Retry>(result);
        Assert.Equal(TimeSpan.FromSeconds(45), retry.RetryAfter);
        Assert.StartsWith(status.ToString(System.Globalization.CultureInfo.InvariantCulture), retry.Error, StringComparison.Ordinal);
        Assert.Single(_microsoft.Posts);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(400)]
    [InlineData(401)]
    public async Task BotRemovedConversationGoneAndOtherRefusalsFailForGoodWithTheStatusAndCorrelationId(int status)
    {
        await RememberAsync();
        _microsoft.ConnectorFailures.Enqueue((status, null));

        var result = await PostAsync();

        var failed = Assert.IsType<DeliveryResult.Failed>(result);
        Assert.StartsWith(status.ToString(System.Globalization.CultureInfo.InvariantCulture), failed.Error, StringComparison.Ordinal);
        Assert.Contains("fake-correlation-id", failed.Error, StringComparison.Ordinal);
        Assert.Single(_microsoft.Posts);
    }

    [Fact]
    public async Task ConversationWithoutAServiceUrlFailsForGood()
    {
        var result = await Messenger().PostAsync(Channel with { ServiceUrl = null }, Announcement(), CancellationToken.None);

        Assert.IsType<DeliveryResult.Failed>(result);
        Assert.Empty(_microsoft.Posts);
    }
}
