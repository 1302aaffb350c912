using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Core.Tests.Chat;

public sealed class DefaultChannelRuleTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static CatalogChannel Channel(string name, int minutesAfterNoon) => new(name, 1, Noon.AddMinutes(minutesAfterNoon));

    [Fact]
    public void TheDefaultChannelIsChosenWhileItHasAnActiveBuildEvenIfAnotherWasUploadedLater() =>
        Assert.Equal("beta", DefaultChannelRule.Choose("beta", [Channel("beta", 0), Channel("qa", 5)]));

    [Fact]
    public void ADefaultChannelWithoutActiveBuildsGivesWayToTheChannelWithTheNewestUpload() =>
        Assert.Equal("nightly", DefaultChannelRule.Choose("beta", [Channel("alpha", 1), Channel("nightly", 9), Channel("qa", 3)]));

    [Fact]
    public void WithoutADefaultChannelTheChannelWithTheNewestUploadIsChosen() =>
        Assert.Equal("nightly", DefaultChannelRule.Choose(null, [Channel("alpha", 1), Channel("nightly", 9), Channel("qa", 3)]));

    [Fact]
    public void ATieOnTheNewestUploadGoesToTheOrdinallyFirstNameWhateverTheOrderGiven()
    {
        Assert.Equal("Zed", DefaultChannelRule.Choose(null, [Channel("alpha", 2), Channel("Zed", 2)]));
        Assert.Equal("Zed", DefaultChannelRule.Choose(null, [Channel("Zed", 2), Channel("alpha", 2)]));
    }

    [Fact]
    public void AnAppWithoutActiveBuildsHasNoChannelToChoose()
    {
        Assert.Null(DefaultChannelRule.Choose("beta", []));
        Assert.Null(DefaultChannelRule.Choose(null, []));
    }
}
