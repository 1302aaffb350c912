using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Core.Tests.Chat;

public sealed class ChatEngineTests
{
    private static readonly ChatUser Ada = new("slack", "T1", "U1", "Ada", IsReleaseManager: false);
    private static readonly ChatUser Grace = new("teams", "tenant", "aad-2", "Grace", IsReleaseManager: true);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeCatalog _catalog = new();
    private readonly ChatEngine _engine;

    public ChatEngineTests()
    {
        _engine = new ChatEngine(_catalog, _clock);
        _catalog.App("myapp", "My App", defaultChannel: "beta").App("other", "Other App");
    }

    private Task<ChatReply> Say(string text, ChatUser? user = null) => _engine.HandleAsync(new ChatCommand(user ?? Ada, text), CancellationToken.None);

    private static string AllText(ChatReply reply) => string.Join("\n", reply.Blocks.Select(b => b switch
    {
        HeaderBlock h => h.Text,
        TextBlock t => t.Text,
        WarningBlock w => w.Text,
        ContextBlock c => c.Text,
        ListItemBlock l => l.Title + " " + l.Detail,
        FactsBlock f => string.Join(" ", f.Facts.Select(x => $"{x.Label}={x.Text}{x.Time:o}")),
        LinkButtonBlock l => l.Label + " " + l.Url,
        ImageBlock i => i.Url,
        _ => "",
    }));

    [Fact]
    public async Task InstallMintsAPersonalLinkForTheNewestActiveBuildOfTheDefaultChannel()
    {
        _catalog.Build("myapp", "beta", "2.3", "100");
        var newest = _catalog.Build("myapp", "beta", "2.4", "101", notes: "Fixes the login crash.");
        _catalog.Build("myapp", "qa", "2.5", "102");
        _catalog.Build("myapp", "beta", "2.6", "103", active: false);

        var reply = await Say("install myapp");

        var (buildId, user) = Assert.Single(_catalog.Minted);
        Assert.Equal(newest.Id, buildId);
        Assert.Equal(Ada, user);
        Assert.True(reply.Private);
        Assert.Equal("My App 2.4 (101) · iOS", reply.Blocks.OfType<HeaderBlock>().Single().Text);
        var facts = reply.Blocks.OfType<FactsBlock>().Single().Facts;
        Assert.Equal(["Platform", "Version", "Build", "Channel", "Link expires"], facts.Select(f => f.Label));
        Assert.Equal(["iOS", "2.4", "101", "beta"], facts.Take(4).Select(f => f.Text));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), facts[4].Time);
        Assert.Equal("Fixes the login crash.", reply.Blocks.OfType<TextBlock>().Single().Text);
        var button = reply.Blocks.OfType<LinkButtonBlock>().Single();
        Assert.Equal("Install on iPhone", button.Label);
        Assert.StartsWith("https://", button.Url, StringComparison.Ordinal);
        Assert.Equal("https://ota.example.test/i/token1/qr.png", reply.Blocks.OfType<ImageBlock>().Single().Url);
        Assert.Contains("open Safari and paste this address: https://ota.example.test/i/token1", reply.Blocks.OfType<ContextBlock>().Single().Text, StringComparison.Ordinal);
        Assert.DoesNotContain("itms-services", AllText(reply), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INSTALL   MyApp   QA")]
    [InlineData("install myapp qa")]
    [InlineData("  install\tmyapp qa  ")]
    public async Task CommandsAreCaseInsensitiveAndTolerateExtraSpaces(string text)
    {
        _catalog.Build("myapp", "beta", "2.4", "101");
        var qa = _catalog.Build("myapp", "qa", "2.5", "102");

        await Say(text);

        Assert.Equal(qa.Id, Assert.Single(_catalog.Minted).BuildId);
    }

    [Fact]
    public async Task LinkReplyCarriesTheIdOfTheLinkItMintedAndOtherRepliesCarryNone()
    {
        _catalog.Build("myapp", "beta", "2.4", "101");

        var install = await Say("install myapp");
        var help = await Say("help");

        Assert.Equal([1001L], install.LinkIds);
        Assert.Empty(help.LinkIds);
    }

    [Fact]
    public async Task WithoutADefaultChannelTheMostRecentlyUploadedChannelIsUsed()
    {
        _catalog.Build("other", "qa", "1.0", "1");
        var latest = _catalog.Build("other", "nightly", "1.1", "2");

        await Say("install other");

        Assert.Equal(latest.Id, Assert.Single(_catalog.Minted).BuildId);
    }

    [Fact]
    public async Task NamedBuildNumberIsInstalled()
    {
        var old = _catalog.Build("myapp", "beta", "2.3", "100");
        _catalog.Build("myapp", "beta", "2.4", "101");

        await Say("install myapp beta 100");

        Assert.Equal(old.Id, Assert.Single(_catalog.Minted).BuildId);
    }

    [Fact]
    public async Task UnknownBuildNumberListsRecentBuilds()
    {
        _catalog.Build("myapp", "beta", "2.3", "100");
        _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await Say("install myapp beta 99");

        Assert.Equal("My App has no build 99 in beta. Recent builds: 101, 100.", reply.Text);
        Assert.Empty(_catalog.Minted);
    }

    [Fact]
    public async Task RevokedBuildIsNotInstalled()
    {
        _catalog.Build("myapp", "beta", "2.3", "100", active: false);
        _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await Say("install myapp beta 100");

        Assert.Contains("has been revoked", reply.Text, StringComparison.Ordinal);
        Assert.Empty(_catalog.Minted);
    }

    [Theory]
    [InlineData("install myap", "Did you mean \"myapp\"?")]
    [InlineData("install mpyapp", "Did you mean \"myapp\"?")]
    [InlineData("install othr beta", "Did you mean \"other\"?")]
    [InlineData("install zzzzzzzz", "Apps: myapp, other.")]
    [InlineData("builds myapq", "Did you mean \"myapp\"?")]
    public async Task UnknownAppsGetSuggestions(string text, string expected)
    {
        _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await Say(text);

        Assert.EndsWith(expected, reply.Text, StringComparison.Ordinal);
        Assert.Empty(_catalog.Minted);
    }

    [Fact]
    public async Task UnknownChannelListsTheChannelsThatExist()
    {
        _catalog.Build("myapp", "beta", "2.4", "101");
        _catalog.Build("myapp", "qa", "2.5", "102");

        var reply = await Say("install myapp nightly");

        Assert.Equal("My App has no channel \"nightly\". Channels: beta, qa.", reply.Text);
    }

    [Fact]
    public async Task AppWithoutBuildsSaysSo()
    {
        var reply = await Say("install other");

        Assert.Equal("Other App has no builds yet.", reply.Text);
    }

    [Fact]
    public async Task ProfileWarningsTellWhatWillHappen()
    {
        _catalog.Build("myapp", "beta", "1", "1", profile: ProvisioningProfileType.AdHoc, profileExpires: _clock.GetUtcNow().AddDays(3), devices: 12);
        _catalog.Build("other", "beta", "1", "1", profile: ProvisioningProfileType.Enterprise, profileExpires: _clock.GetUtcNow().AddDays(-1));

        var adHoc = (await Say("install myapp")).Blocks.OfType<WarningBlock>().Select(w => w.Text).ToList();
        var enterprise = (await Say("install other")).Blocks.OfType<WarningBlock>().Select(w => w.Text).ToList();

        Assert.Equal(2, adHoc.Count);
        Assert.StartsWith("The provisioning profile expires on 2026-11-26", adHoc[0], StringComparison.Ordinal);
        Assert.Contains("12 devices", adHoc[1], StringComparison.Ordinal);
        Assert.StartsWith("The provisioning profile expired on 2026-11-22", enterprise[0], StringComparison.Ordinal);
        Assert.Contains("VPN & Device Management", enterprise[1], StringComparison.Ordinal);
        Assert.Contains("restart", enterprise[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfileExpiringInMoreThanAWeekIsNotAWarning()
    {
        _catalog.Build("myapp", "beta", "1", "1", profile: ProvisioningProfileType.Enterprise, profileExpires: _clock.GetUtcNow().AddDays(7).AddSeconds(1));

        var warnings = (await Say("install myapp")).Blocks.OfType<WarningBlock>().ToList();

        Assert.DoesNotContain(warnings, w => w.Text.Contains("provisioning profile", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BuildsWithoutAnAppListsAppsAndChannels()
    {
        _catalog.Build("myapp", "beta", "2.4", "101");
        _catalog.Build("myapp", "beta", "2.5", "102");
        _catalog.Build("myapp", "qa", "2.5", "103");

        var reply = await Say("builds");

        var items = reply.Blocks.OfType<ListItemBlock>().ToList();
        Assert.Equal(["My App (myapp)", "Other App (other)"], items.Select(i => i.Title));
        Assert.Equal("beta: 2 builds, latest 2026-11-01, qa: 1 build, latest 2026-11-01", items[0].Detail);
        Assert.Equal("no active builds", items[1].Detail);
        Assert.All(items, i => Assert.Null(i.Action));
    }

    [Fact]
    public async Task BuildsOfAnAppListsUpToTenWithGetLinkActionsForActiveOnes()
    {
        for (var i = 0; i < 12; i++)
            _catalog.Build("myapp", "beta", $"2.{i}", $"{100 + i}", active: i != 10);

        var reply = await Say("builds myapp beta");

        var items = reply.Blocks.OfType<ListItemBlock>().ToList();
        Assert.Equal(10, items.Count);
        Assert.Equal("2.11 (111) · iOS · beta", items[0].Title);
        Assert.Null(items[1].Action);
        Assert.Contains("revoked", items[1].Detail, StringComparison.Ordinal);
        Assert.Equal(new ReplyAction("Get link", ChatActions.GetLink, "12"), items[0].Action);
    }

    [Fact]
    public async Task GetLinkActionMintsForWhoeverPressedIt()
    {
        var build = _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await _engine.HandleActionAsync(new ChatAction(Grace, ChatActions.GetLink, build.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);

        Assert.Equal((build.Id, Grace), Assert.Single(_catalog.Minted));
        Assert.Single(reply.Blocks.OfType<LinkButtonBlock>());
    }

    [Theory]
    [InlineData("get_link", "999", "no longer exists")]
    [InlineData("get_link", "abc", "no longer supported")]
    [InlineData("other_action", "1", "no longer supported")]
    public async Task UnusableActionsAreAnsweredPolitely(string actionId, string value, string expected)
    {
        _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await _engine.HandleActionAsync(new ChatAction(Ada, actionId, value), CancellationToken.None);

        Assert.Contains(expected, reply.Text, StringComparison.Ordinal);
        Assert.Empty(_catalog.Minted);
    }

    [Fact]
    public async Task ReleaseManagersRevokeAndOthersAreRefusedPolitely()
    {
        var build = _catalog.Build("myapp", "beta", "2.4", "101");

        var refused = await Say("revoke myapp beta 101", Ada);
        var revoked = await Say("revoke myapp beta 101", Grace);
        var again = await Say("revoke myapp beta 101", Grace);

        Assert.StartsWith("Sorry, only release managers", refused.Text, StringComparison.Ordinal);
        Assert.Equal([build.Id], _catalog.Revoked);
        Assert.Equal("Revoked My App 2.4 (101) in beta. 2 live links stopped working.", revoked.Text);
        Assert.Contains("already revoked", again.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("help")]
    [InlineData("HELP")]
    public async Task HelpExplainsCommandsAndWhatToDoWhenInstallingFails(string text)
    {
        var reply = await Say(text);

        var all = AllText(reply);
        Assert.Contains("install <app> [channel] [build]", all, StringComparison.Ordinal);
        Assert.Contains("Safari", all, StringComparison.Ordinal);
        Assert.Contains("VPN & Device Management", all, StringComparison.Ordinal);
        Assert.Contains("iOS 18", all, StringComparison.Ordinal);
        Assert.Contains("ad-hoc", all, StringComparison.Ordinal);
        Assert.Contains("expired", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommandPointsAtHelp()
    {
        var reply = await Say("deploy myapp");

        Assert.Equal("I don't know \"deploy\". Try \"help\" to see what I can do.", reply.Text);
    }

    [Fact]
    public async Task LongNotesAreCutAtAWord()
    {
        _catalog.Build("myapp", "beta", "2.4", "101", notes: string.Join(' ', Enumerable.Repeat("word", 200)));

        var notes = (await Say("install myapp")).Blocks.OfType<TextBlock>().Single().Text;

        Assert.True(notes.Length <= 300);
        Assert.EndsWith("word…", notes, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("myapp", "myapp", 0)]
    [InlineData("myap", "myapp", 1)]
    [InlineData("mpyapp", "myapp", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void EditDistanceCountsInsertionsDeletionsAndSubstitutions(string a, string b, int distance)
    {
        Assert.Equal(distance, ChatEngine.Levenshtein(a, b));
    }

    [Fact]
    public async Task InstallSaysTheBuildWasRevokedWhenItIsRevokedWhileTheLinkIsMinted()
    {
        var build = _catalog.Build("myapp", "beta", "2.4", "101");
        _catalog.BeforeMint = id => _catalog.RevokeBuildAsync(id, CancellationToken.None);

        var reply = await Say("install myapp");

        Assert.Empty(_catalog.Minted);
        Assert.Empty(reply.LinkIds);
        Assert.Equal("My App 2.4 (101) in beta has been revoked. Ask for the newest build with \"install myapp beta\".", reply.Text);
        Assert.Equal(build.Id, Assert.Single(_catalog.Revoked));
    }

    [Fact]
    public async Task GetLinkSaysTheBuildNoLongerExistsWhenItIsDeletedWhileTheLinkIsMinted()
    {
        var build = _catalog.Build("myapp", "beta", "2.4", "101");
        _catalog.BeforeMint = id => _catalog.Builds.RemoveAll(b => b.Id == id);

        var reply = await _engine.HandleActionAsync(new ChatAction(Ada, ChatActions.GetLink, build.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);

        Assert.Empty(_catalog.Minted);
        Assert.Equal("That build no longer exists.", reply.Text);
    }
}
