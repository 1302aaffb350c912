namespace ChatOpsBot.Slack.Tests;

public sealed class SlackChatTests
{
    [Theory]
    [InlineData("/install", "demo beta", "install demo beta")]
    [InlineData("/builds", "", "builds")]
    [InlineData("/builds", "  demo  ", "builds demo")]
    [InlineData("/install", "tom &amp; jerry &lt;beta&gt;", "install tom & jerry <beta>")]
    public void SlashCommandBecomesTheCommandAsTyped(string command, string text, string expected) =>
        Assert.Equal(expected, SlackChat.CommandText(command, text));

    [Theory]
    [InlineData("<@U0BOT> install demo beta", "U0BOT", "install demo beta")]
    [InlineData("<@U0BOT|chatopsbot>   builds", "U0BOT", "builds")]
    [InlineData("hey <@U0BOT> install demo", "U0BOT", "hey install demo")]
    [InlineData("<@U0BOT> install demo for <@U0ALICE>", "U0BOT", "install demo for <@U0ALICE>")]
    [InlineData("<@U0BOT> install demo", null, "install demo")]
    public void MentionOfTheBotIsStripped(string text, string? botUserId, string expected) =>
        Assert.Equal(expected, SlackChat.MentionText(text, botUserId));

    [Fact]
    public void ReleaseManagersAreThoseListedByUserId()
    {
        var options = new SlackOptions { ReleaseManagers = ["U0RM"] };

        Assert.True(SlackChat.User(options, "T1", "U0RM", "rm").IsReleaseManager);
        Assert.False(SlackChat.User(options, "T1", "U0OTHER", "other").IsReleaseManager);
        Assert.Equal("U0OTHER", SlackChat.User(options, "T1", "U0OTHER", null).DisplayName);
        Assert.Equal("slack", SlackChat.User(options, "T1", "U0OTHER", null).Platform);
    }

    [Fact]
    public void AnyWorkspaceIsAllowedUnlessAllowedTeamIdsIsSet()
    {
        Assert.True(new SlackOptions().IsTeamAllowed("T1"));
        Assert.True(new SlackOptions { AllowedTeamIds = ["T1"] }.IsTeamAllowed("T1"));
        Assert.False(new SlackOptions { AllowedTeamIds = ["T1"] }.IsTeamAllowed("T2"));
        Assert.False(new SlackOptions { AllowedTeamIds = ["T1"] }.IsTeamAllowed(null));
    }

    [Fact]
    public void SigningSecretWithoutBotTokenFailsNamingTheKey()
    {
        var result = new SlackOptionsValidator().Validate(null, new SlackOptions { SigningSecret = "secret" });

        Assert.True(result.Failed);
        Assert.Contains("Slack:BotToken is required when Slack:SigningSecret is set", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void NoSigningSecretMeansNothingToValidate() =>
        Assert.True(new SlackOptionsValidator().Validate(null, new SlackOptions { ApiBaseUrl = "nonsense" }).Skipped);
}
