using ChatOpsBot.Core.Chat;
using ChatOpsBot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Teams.Tests;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class TeamsLinkMessageUpdaterTests : IAsyncLifetime
{
    private const string Personal = "a:personal-29:1user-teams-id";
    private static readonly DeadLinkNotice Expired = new("install demo beta", Revoked: false);

    private readonly FakeBotFramework _microsoft = new();
    private TeamsServices _services = null!;

    public Task InitializeAsync()
    {
        _services = new TeamsServices(_microsoft, new() { ["Teams:RetryBaseDelay"] = "00:10:00" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    private ILinkMessageUpdater Updater() => _services.Provider.GetServices<ILinkMessageUpdater>().Single(u => u.Platform == "teams");

    private LinkMessage Card => new("teams", ServiceUrl: _microsoft.ServiceUrl, ConversationId: Personal, ActivityId: "1:reply-7");

    [Fact]
    public async Task DeadLinkCardIsReplacedByUpdatingItsActivity()
    {
        await _services.TrustAsync(_microsoft.ServiceUrl);

        var updated = await Updater().MarkDeadAsync(Card, Expired, CancellationToken.None);

        Assert.True(updated);
        var call = Assert.Single(_microsoft.Posts);
        Assert.Equal("PUT", call.Method);
        Assert.Equal("/teams/v3/conversations/a%3Apersonal-29%3A1user-teams-id/activities/1%3Areply-7", call.RawTarget);
        Assert.Equal("Bearer connector-token-1", call.Authorization);
        Assert.Equal("message", call.Body.GetProperty("type").GetString());
        Assert.Equal("1:reply-7", call.Body.GetProperty("id").GetString());
        Assert.Equal(Personal, call.Body.GetProperty("conversation").GetProperty("id").GetString());
        var card = call.Body.GetProperty("attachments")[0].GetProperty("content");
        var text = Assert.Single(card.GetProperty("body").EnumerateArray()).GetProperty("text").GetString();
        Assert.Equal("This install link has expired. Send \"install demo beta\" for a new one.", text);
        Assert.False(card.TryGetProperty("actions", out var actions) && actions.GetArrayLength() > 0);
    }

    [Fact]
    public async Task ServiceUrlNoValidatedTokenVouchedForGetsNoTokenAndNoUpdate()
    {
        Assert.False(await Updater().MarkDeadAsync(Card, Expired, CancellationToken.None));
        Assert.Empty(_microsoft.Posts);
        Assert.Empty(_microsoft.TokenRequests);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(429)]
    [InlineData(502)]
    public async Task RefusedOrFailedUpdateIsOneAttemptAnsweredWithFalse(int status)
    {
        await _services.TrustAsync(_microsoft.ServiceUrl);
        _microsoft.ConnectorFailures.Enqueue((status, "1"));

        Assert.False(await Updater().MarkDeadAsync(Card, Expired, CancellationToken.None));
        Assert.Single(_microsoft.Posts);
    }

    [Fact]
    public async Task MessageWithoutAnActivityIdIsNotUpdated()
    {
        await _services.TrustAsync(_microsoft.ServiceUrl);

        Assert.False(await Updater().MarkDeadAsync(Card with { ActivityId = null }, Expired, CancellationToken.None));
        Assert.Empty(_microsoft.Posts);
    }
}
