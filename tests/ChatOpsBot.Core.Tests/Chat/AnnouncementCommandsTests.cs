using System.Globalization;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Core.Tests.Chat;

public sealed class AnnouncementCommandsTests
{
    private static readonly ChatUser Ada = new("slack", "T1", "U1", "Ada", IsReleaseManager: false);
    private static readonly ChatUser Grace = new("teams", "tenant", "aad-2", "Grace", IsReleaseManager: true);
    private static readonly ConversationAddress General = new("slack", "T1", "C-general", Name: "#general");
    private static readonly ConversationAddress Releases = new("teams", "tenant", "19:releases@thread.tacv2", "https://smba.trafficmanager.net/teams/", "Releases");

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeCatalog _catalog = new();
    private readonly FakeAnnouncements _announcements;
    private readonly ChatEngine _engine;

    public AnnouncementCommandsTests()
    {
        _announcements = new FakeAnnouncements(_catalog);
        _engine = new ChatEngine(_catalog, _clock, _announcements);
        _catalog.App("myapp", "My App", defaultChannel: "beta").App("other", "Other App");
        _catalog.Build("myapp", "beta", "2.3", "100");
        _catalog.Build("myapp", "qa", "2.4", "101");
    }

    private Task<ChatReply> Say(string text, ChatUser? user = null, ConversationAddress? where = null) =>
        _engine.HandleAsync(new ChatCommand(user ?? Ada, text) { Conversation = where ?? General }, CancellationToken.None);

    private static string AllText(ChatReply reply) => string.Join("\n", reply.Blocks.Select(b => b switch
    {
        HeaderBlock h => h.Text,
        TextBlock t => t.Text,
        ContextBlock c => c.Text,
        ListItemBlock l => l.Title + " " + l.Detail,
        _ => "",
    }));

    [Fact]
    public async Task SubscribeDefaultsToTheAppsDefaultChannelLikeInstall()
    {
        var reply = await Say("subscribe myapp");

        Assert.Equal([("myapp", "beta", General)], _announcements.Subscriptions);
        Assert.StartsWith("Subscribed: new My App builds in beta", reply.Text, StringComparison.Ordinal);
        Assert.False(reply.Private);
    }

    [Fact]
    public async Task SubscribeTakesANamedChannelAndTheTeamsConversationAsTheAdapterGaveIt()
    {
        await Say("subscribe MyApp qa", Grace, Releases);

        Assert.Equal([("myapp", "qa", Releases)], _announcements.Subscriptions);
    }

    [Fact]
    public async Task SubscribeWithOnlyAConversationIdUsesThePlatformAndWorkspaceOfTheUser()
    {
        await _engine.HandleAsync(new ChatCommand(Ada, "subscribe myapp", "C-random"), CancellationToken.None);

        Assert.Equal([("myapp", "beta", new ConversationAddress("slack", "T1", "C-random"))], _announcements.Subscriptions);
    }

    [Fact]
    public async Task SubscribeOutsideAConversationSaysWhereToTypeIt()
    {
        var reply = await _engine.HandleAsync(new ChatCommand(Ada, "subscribe myapp"), CancellationToken.None);

        Assert.Empty(_announcements.Subscriptions);
        Assert.Contains("in the channel or conversation", reply.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("subscribe", "Usage: subscribe <app> [channel]")]
    [InlineData("subscribe myap", "Did you mean \"myapp\"?")]
    [InlineData("subscribe myapp nightly", "Channels: beta, qa")]
    public async Task SubscribeToSomethingUnknownExplainsAndSubscribesNothing(string text, string expected)
    {
        var reply = await Say(text);

        Assert.Empty(_announcements.Subscriptions);
        Assert.Contains(expected, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribingTwiceSaysItAlreadyIs()
    {
        await Say("subscribe myapp beta");

        var again = await Say("subscribe myapp beta");

        Assert.Single(_announcements.Subscriptions);
        Assert.Equal("This conversation is already subscribed to My App beta.", again.Text);
    }

    [Fact]
    public async Task UnsubscribeWithoutAChannelEndsTheOnlySubscriptionOfThatApp()
    {
        await Say("subscribe myapp qa");
        await Say("subscribe other", where: Releases);
        _catalog.Build("other", "beta", "1.0", "1");
        await Say("subscribe other beta");

        var reply = await Say("unsubscribe myapp");

        Assert.Equal([("other", "beta", General)], _announcements.Subscriptions);
        Assert.Equal("Unsubscribed: My App qa builds will no longer be announced here.", reply.Text);
        Assert.False(reply.Private);
    }

    [Fact]
    public async Task UnsubscribeAsksForTheChannelWhenThereAreSeveral()
    {
        await Say("subscribe myapp beta");
        await Say("subscribe myapp qa");

        var reply = await Say("unsubscribe myapp");

        Assert.Equal(2, _announcements.Subscriptions.Count);
        Assert.Contains("beta, qa", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsubscribeWorksForAChannelThatNoLongerHasActiveBuilds()
    {
        await Say("subscribe myapp qa");
        await _catalog.RevokeBuildAsync(2, CancellationToken.None);

        var reply = await Say("unsubscribe myapp qa");

        Assert.Empty(_announcements.Subscriptions);
        Assert.StartsWith("Unsubscribed", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsubscribeWhenNotSubscribedSaysSo()
    {
        await Say("subscribe myapp beta", where: Releases);

        var reply = await Say("unsubscribe myapp beta");

        Assert.Single(_announcements.Subscriptions);
        Assert.Equal("This conversation is not subscribed to myapp beta.", reply.Text);
    }

    [Fact]
    public async Task BuildsWithoutAnAppShowsThisConversationsSubscriptions()
    {
        await Say("subscribe myapp qa");
        await Say("subscribe myapp beta", where: Releases);

        var here = AllText(await Say("builds"));
        var elsewhere = AllText(await Say("builds", where: new ConversationAddress("slack", "T1", "C-empty")));

        Assert.Contains("Announced here\nMy App (myapp) qa", here, StringComparison.Ordinal);
        Assert.DoesNotContain("beta\n", here.Split("Announced here")[1], StringComparison.Ordinal);
        Assert.Contains("Nothing yet: \"subscribe <app> [channel]\"", elsewhere, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyReleaseManagersMayAnnounce()
    {
        var reply = await Say("announce myapp beta", Ada);

        Assert.Empty(_announcements.Announced);
        Assert.StartsWith("Sorry, only release managers can announce builds.", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceSendsTheNewestActiveBuildAndSaysHowManyConversationsItGoesTo()
    {
        await Say("subscribe myapp beta");
        await Say("subscribe myapp beta", where: Releases);
        var newest = _catalog.Build("myapp", "beta", "2.5", "102");
        _catalog.Build("myapp", "beta", "2.6", "103", active: false);

        var reply = await Say("announce myapp beta", Grace);

        Assert.Equal([(newest.Id, Grace)], _announcements.Announced);
        Assert.Equal("Announcing My App 2.5 (102) in beta to 2 conversations (announcement 1). \"announcement 1\" shows who received it and what failed.", reply.Text);
        Assert.True(reply.Private);
    }

    [Fact]
    public async Task AnnounceTakesANamedBuild()
    {
        _catalog.Build("myapp", "beta", "2.5", "102");

        await Say("announce myapp beta 100", Grace);

        Assert.Equal(1, Assert.Single(_announcements.Announced).BuildId);
    }

    [Theory]
    [InlineData("announce myapp", "Usage: announce <app> <channel> [build]")]
    [InlineData("announce nope beta", "I don't know an app called \"nope\"")]
    [InlineData("announce myapp nightly", "Channels: beta, qa")]
    [InlineData("announce myapp beta 999", "My App has no build 999 in beta.")]
    [InlineData("announce myapp beta 103", "My App 2.6 (103) in beta has been revoked, so it cannot be announced.")]
    public async Task AnnounceRefusesPolitelyWhatCannotBeAnnounced(string text, string expected)
    {
        _catalog.Build("myapp", "beta", "2.6", "103", active: false);

        var reply = await Say(text, Grace);

        Assert.Empty(_announcements.Announced);
        Assert.Contains(expected, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceWithoutSubscribersSaysNobodyWasToldAndHowToSubscribe()
    {
        var reply = await Say("announce myapp qa", Grace);

        Assert.Single(_announcements.Announced);
        Assert.Contains("No conversation is subscribed to My App qa", reply.Text, StringComparison.Ordinal);
        Assert.Contains("\"subscribe myapp qa\"", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnouncementMessageCarriesAGetMyInstallLinkButtonAndNoInstallUrl()
    {
        var build = _catalog.Build("myapp", "beta", "2.5", "102", notes: "Fixes the login crash.");

        var message = ChatEngine.Announcement(build, "https://ota.example.test/icons/" + new string('a', 64) + ".png");

        Assert.False(message.Private);
        Assert.Equal("My App 2.5 (102) for iOS is out in beta", message.Text);
        Assert.Equal("My App 2.5 (102) for iOS is out in beta", message.Blocks.OfType<HeaderBlock>().Single().Text);
        Assert.Equal("Fixes the login crash.", message.Blocks.OfType<TextBlock>().Single().Text);
        Assert.Equal("https://ota.example.test/icons/" + new string('a', 64) + ".png", message.Blocks.OfType<ImageBlock>().Single().Url);
        var action = message.Blocks.OfType<ListItemBlock>().Single().Action;
        Assert.Equal(new ReplyAction("Get my install link", ChatActions.GetLink, build.Id.ToString(CultureInfo.InvariantCulture)), action);
        Assert.Empty(message.Blocks.OfType<LinkButtonBlock>());
        Assert.DoesNotContain("/i/", AllText(message) + message.Text, StringComparison.Ordinal);
        Assert.Empty(_catalog.Minted);
    }

    [Fact]
    public async Task PressingGetMyInstallLinkMintsALinkForWhoeverPressedIt()
    {
        var build = _catalog.Build("myapp", "beta", "2.5", "102");
        var action = ChatEngine.Announcement(build, null).Blocks.OfType<ListItemBlock>().Single().Action!;

        var reply = await _engine.HandleActionAsync(new ChatAction(Ada, action.ActionId, action.Value, General.ConversationId), CancellationToken.None);

        Assert.Equal([(build.Id, Ada)], _catalog.Minted);
        Assert.True(reply.Private);
        Assert.Empty(ChatEngine.Announcement(build, null).Blocks.OfType<ImageBlock>());
    }

    [Fact]
    public async Task AnnouncementCommandShowsWhoReceivedItAndWhatFailedForGood()
    {
        var build = _catalog.Builds[0];
        _announcements.Statuses[7] = new AnnouncementStatus(7, build, "Grace", _clock.GetUtcNow(),
        [
            new AnnouncementTarget(General, DeliveryState.Delivered, 1, null, _clock.GetUtcNow()),
            new AnnouncementTarget(Releases, DeliveryState.Failed, 1, "the bot was removed from the conversation", null),
            new AnnouncementTarget(new ConversationAddress("slack", "T1", "C-busy"), DeliveryState.Pending, 2, "429 Too Many Requests", null),
        ]);

        var reply = await Say("announcement 7", Grace);
        var refused = await Say("announcement 7", Ada);
        var unknown = await Say("announcement 8", Grace);

        Assert.Equal("Announcement 7: 1 pending, 1 delivered, 1 failed", reply.Text);
        var all = AllText(reply);
        Assert.Contains("#general (slack) delivered 2026-11-23 09:00 UTC", all, StringComparison.Ordinal);
        Assert.Contains("Releases (teams) failed for good after 1 attempt: the bot was removed from the conversation", all, StringComparison.Ordinal);
        Assert.Contains("C-busy (slack) retrying after 2 attempts: 429 Too Many Requests", all, StringComparison.Ordinal);
        Assert.StartsWith("Sorry, only release managers", refused.Text, StringComparison.Ordinal);
        Assert.Equal("There is no announcement 8.", unknown.Text);
    }

    [Fact]
    public async Task WithoutAnnouncementsTheCommandsSayTheyAreUnavailable()
    {
        var engine = new ChatEngine(_catalog, _clock);

        var subscribe = await engine.HandleAsync(new ChatCommand(Ada, "subscribe myapp", "C1"), CancellationToken.None);
        var builds = await engine.HandleAsync(new ChatCommand(Ada, "builds", "C1"), CancellationToken.None);

        Assert.Equal("Subscriptions and announcements are not available here.", subscribe.Text);
        Assert.DoesNotContain("Announced here", AllText(builds), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpListsSubscribeUnsubscribeAndAnnounce()
    {
        var all = AllText(await Say("help"));

        Assert.Contains("subscribe <app> [channel]", all, StringComparison.Ordinal);
        Assert.Contains("unsubscribe <app> [channel]", all, StringComparison.Ordinal);
        Assert.Contains("announce <app> <channel> [build]", all, StringComparison.Ordinal);
    }
}
