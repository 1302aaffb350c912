using System.Net;
using ChatOpsBot.Data;
using ChatOpsBot.Features.LinkMessages;
using ChatOpsBot.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>The Teams card of a link that died is replaced by updating its activity.</summary>
public sealed partial class TeamsEndToEndTests
{
    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    private async Task ExpireAndUpdateAsync()
    {
        await RunAsync<ExpireLinksJob>(job => job.RunAsync(CancellationToken.None));
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));
    }

    private static void AssertDeadLinkCard(ConnectorCall update, string target, string activityId, string headline)
    {
        Assert.Equal("PUT", update.Method);
        Assert.Equal(target, update.RawTarget);
        // A token the bot got from the fake's token endpoint (a new one once the clock has passed the first's hour).
        Assert.StartsWith("Bearer connector-token-", update.Authorization, StringComparison.Ordinal);
        Assert.Equal("message", update.Body.GetProperty("type").GetString());
        Assert.Equal(activityId, update.Body.GetProperty("id").GetString());
        var texts = Card(update).GetProperty("body").EnumerateArray().Select(b => b.GetProperty("text").GetString());
        Assert.Contains($"{headline} Send \"install demo beta\" for a new one.", texts);
        var card = Card(update).GetRawText();
        Assert.DoesNotContain("Action.OpenUrl", card, StringComparison.Ordinal);
        Assert.DoesNotContain("/i/", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallCardInThePersonalChatIsUpdatedOnceWhenItsLinkExpires()
    {
        await UploadAsync();
        using (var response = await PostActivityAsync(_microsoft.Message("<at>ChatOpsBot</at> install demo beta"), ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await _microsoft.NextPostAsync();
        InstallUrl(Card(reply));
        // The reply is recorded by the fake before the host remembers it: wait (bounded) for the row.
        for (var i = 0; i < 300 && !await RememberedAsync(); i++)
            await Task.Delay(100);

        _app.Clock.Advance(TimeSpan.FromHours(1));
        await ExpireAndUpdateAsync();
        var update = await _microsoft.NextPostAsync();
        await ExpireAndUpdateAsync();

        AssertDeadLinkCard(update, "/teams/v3/conversations/a%3A1Xk9-personal%3Bmessageid%3D1700000000001/activities/1%3Areply-1",
            "1:reply-1", "This install link for iOS has expired.");
        Assert.Equal(2, _microsoft.Posts.Count);
    }

    [Fact]
    public async Task LinkSentToThePrivateChatFromAChannelIsUpdatedThereWhenTheBuildIsRevoked()
    {
        var buildId = await UploadAsync();
        using (var response = await PostActivityAsync(Elsewhere(_microsoft.Message("<at>ChatOpsBot</at> install demo beta")), ValidToken()))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _microsoft.NextPostAsync();
        var link = await _microsoft.NextPostAsync();
        await _microsoft.NextPostAsync();
        for (var i = 0; i < 300 && !await RememberedAsync(); i++)
            await Task.Delay(100);

        using (var api = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        using (var revoked = await api.DeleteAsync($"/api/v1/builds/{buildId}"))
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await RunAsync<LinkMessageUpdateJob>(job => job.RunAsync(CancellationToken.None));
        var update = await _microsoft.NextPostAsync();

        Assert.Equal(PersonalChatTarget, link.RawTarget);
        AssertDeadLinkCard(update, PersonalChatTarget + "/1%3Areply-2", "1:reply-2", "This install link for iOS was revoked.");
    }

    private async Task<bool> RememberedAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().LinkMessages.AnyAsync();
    }
}
