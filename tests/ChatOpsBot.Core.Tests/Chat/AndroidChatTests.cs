using ChatOpsBot.Core.Chat;
using Microsoft.Extensions.Time.Testing;

namespace ChatOpsBot.Core.Tests.Chat;

public sealed class AndroidChatTests
{
    private static readonly ChatUser Ada = new("slack", "T1", "U1", "Ada", IsReleaseManager: false);

    private readonly FakeCatalog _catalog = new();
    private readonly ChatEngine _engine;

    public AndroidChatTests()
    {
        _engine = new ChatEngine(_catalog, new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero)));
        _catalog.App("myapp", "My App", defaultChannel: "beta");
    }

    private Task<ChatReply> Say(string text) => _engine.HandleAsync(new ChatCommand(Ada, text), CancellationToken.None);

    [Fact]
    public async Task InstallGivesOneLinkForBothPhonesCoveringTheNewestBuildOfEachPlatform()
    {
        _catalog.Build("myapp", "beta", "2.0", "200", platform: CatalogPlatforms.Android);
        var ios = _catalog.Build("myapp", "beta", "2.4", "101");
        var android = _catalog.Build("myapp", "beta", "2.1", "201", platform: CatalogPlatforms.Android);
        _catalog.Build("myapp", "beta", "2.5", "102", active: false);

        var reply = await Say("install myapp");

        Assert.Empty(_catalog.Minted);
        var minted = Assert.Single(_catalog.MintedForBoth);
        Assert.Equal((ios.Id, android.Id), (minted.IosBuildId, minted.AndroidBuildId));
        Assert.Equal("My App · iOS and Android", Assert.Single(reply.Blocks.OfType<HeaderBlock>()).Text);
        Assert.Equal("Install on iPhone or Android", Assert.Single(reply.Blocks.OfType<LinkButtonBlock>()).Label);
        var facts = Assert.Single(reply.Blocks.OfType<FactsBlock>()).Facts;
        Assert.Contains(facts, f => f.Label == "Platforms" && f.Text == "iOS and Android");
        Assert.Contains(facts, f => f.Label == "iOS" && f.Text == "2.4 (101)");
        Assert.Contains(facts, f => f.Label == "Android" && f.Text == "2.1 (201)");
        Assert.Single(reply.LinkIds);
        Assert.Equal("Your install link for My App, iOS 2.4 (101) and Android 2.1 (201): https://ota.example.test/i/token1", reply.Text);
    }

    [Fact]
    public async Task ALinkForBothPhonesWarnsAboutTheIosProfileAsTheIosBuilds()
    {
        _catalog.Build("myapp", "beta", "2.4", "101", profileExpires: new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));
        _catalog.Build("myapp", "beta", "2.1", "201", platform: CatalogPlatforms.Android);

        var reply = await Say("install myapp beta");

        var warnings = reply.Blocks.OfType<WarningBlock>().Select(w => w.Text).ToList();
        Assert.NotEmpty(warnings);
        Assert.All(warnings, w => Assert.StartsWith("iOS build: ", w, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenOneOfTheBuildsIsRevokedJustBeforeTheMintTheOtherGetsItsOwnLink()
    {
        var ios = _catalog.Build("myapp", "beta", "2.4", "101");
        var android = _catalog.Build("myapp", "beta", "2.1", "201", platform: CatalogPlatforms.Android);
        _catalog.BeforeMint = _ => _catalog.RevokeBuildAsync(ios.Id, CancellationToken.None);

        var reply = await Say("install myapp");

        Assert.Empty(_catalog.MintedForBoth);
        Assert.Equal(android.Id, Assert.Single(_catalog.Minted).BuildId);
        Assert.Equal("Install on Android", Assert.Single(reply.Blocks.OfType<LinkButtonBlock>()).Label);
    }

    [Fact]
    public async Task ALinkForOneIosBuildSaysItIsForIos()
    {
        _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await Say("install myapp");

        Assert.StartsWith("Your install link for My App 2.4 (101) for iOS: ", reply.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("install myapp android")]
    [InlineData("install myapp beta android")]
    [InlineData("install myapp Android beta")]
    public async Task NamingAPlatformGivesOnlyItsBuild(string text)
    {
        _catalog.Build("myapp", "beta", "2.4", "101");
        var android = _catalog.Build("myapp", "beta", "2.1", "201", platform: CatalogPlatforms.Android);

        var reply = await Say(text);

        Assert.Equal(android.Id, Assert.Single(_catalog.Minted).BuildId);
        Assert.Equal("Install on Android", Assert.Single(reply.Blocks.OfType<LinkButtonBlock>()).Label);
        Assert.Contains("Chrome", reply.Blocks.OfType<ContextBlock>().Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamingAPlatformWithoutABuildSaysSoAndMintsNothing()
    {
        _catalog.Build("myapp", "beta", "2.4", "101");

        var reply = await Say("install myapp beta android");

        Assert.Empty(_catalog.Minted);
        Assert.Equal("My App has no active Android build in beta.", reply.Text);
    }

    [Fact]
    public async Task BuildsAndAnnouncementsSayWhichPlatformABuildIs()
    {
        _catalog.Build("myapp", "beta", "2.4", "101");
        var android = _catalog.Build("myapp", "beta", "2.1", "201", platform: CatalogPlatforms.Android);

        var builds = await Say("builds myapp");
        var announcement = ChatEngine.Announcement(android, iconUrl: null);

        Assert.Equal(["2.1 (201) · Android · beta", "2.4 (101) · iOS · beta"], builds.Blocks.OfType<ListItemBlock>().Select(i => i.Title));
        Assert.Equal("My App 2.1 (201) for Android is out in beta", announcement.Text);
    }
}
