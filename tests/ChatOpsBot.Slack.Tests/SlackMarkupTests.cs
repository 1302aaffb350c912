using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Tests;

namespace ChatOpsBot.Slack.Tests;

/// <summary>Text from build metadata or from a person never becomes Slack markup, in any field Slack renders.</summary>
public sealed class SlackMarkupTests
{
    private const string DisplayName = "<!channel> <@U123> <http://evil.example|click>";

    public static TheoryData<string> Hostile => new()
    {
        DisplayName,
        "<!here> <!everyone> <!subteam^S0DEVS|@devs> <#C0GENERAL|general>",
        "@channel @here @everyone @ios-devs (@here)",
        "<https://evil.example|https://ota.example.test/i/abc>",
        "&lt;!channel&gt; &amp; <mailto:a@evil.example|mail>",
        "<!date^1795428000^{date}|today>",
        ">quote *bold* _italic_ ~strike~ `code`",
    };

    private static readonly DateTimeOffset Uploaded = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The hostile text in every field of every kind of block, and in the reply's own text.</summary>
    private static ChatReply Everywhere(string text) => new(text, [
        new HeaderBlock(text),
        new FactsBlock([new Fact(text, text), new Fact("Uploaded", Time: Uploaded)]),
        new TextBlock(text),
        new WarningBlock(text),
        new LinkButtonBlock(text, "https://ota.example.test/i/abc"),
        new ImageBlock("https://ota.example.test/i/abc/qr.png", text),
        new ContextBlock(text),
        new ListItemBlock(text, text, new ReplyAction(text, ChatActions.GetLink, "42")),
    ]) { Private = false };

    private static JsonElement Json(JsonObject message) => JsonDocument.Parse(message.ToJsonString()).RootElement;

    [Theory]
    [MemberData(nameof(Hostile))]
    public void NoTextSlackParsesCarriesMarkupFromTheReply(string text)
    {
        SlackMarkup.AssertCarriesNoMarkup(Json(SlackBlockKit.Render(Everywhere(text))));
        SlackMarkup.AssertCarriesNoMarkup(Json(SlackBlockKit.RenderResponse(Everywhere(text), replaceOriginal: true)));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void DeadLinkNoticeCarriesNoMarkupFromTheCommandItNames(string command) =>
        SlackMarkup.AssertCarriesNoMarkup(Json(SlackLinkMessages.Notice(new DeadLinkNotice(command, Revoked: true))));

    [Theory]
    [MemberData(nameof(Hostile))]
    public void TextSlackShowsAsItIsIsPlainTextAndReadsExactlyAsGiven(string text)
    {
        var literal = SlackMarkup.Strings(Json(SlackBlockKit.Render(Everywhere(text)))).Where(s => s.Literal).ToList();

        // Header, paragraph, warning, two button labels and the image's alt text.
        Assert.Equal(6, literal.Count);
        Assert.All(literal, s => Assert.EndsWith(text, s.Text, StringComparison.Ordinal));
    }

    [Fact]
    public void NotificationTextIsEscapedSoItReadsAsTypedWithoutPingingAnyone()
    {
        var text = SlackBlockKit.Render(ChatReply.Message(DisplayName + " is out. Thanks @here & co"))["text"]!.GetValue<string>();

        Assert.Equal("&lt;!channel&gt; &lt;@\u2060U123&gt; &lt;http://evil.example|click&gt; is out. Thanks @\u2060here &amp; co", text);
    }

    [Fact]
    public void FactsAndListItemsKeepTheirOwnFormattingAndEscapeTheirText()
    {
        var blocks = SlackBlockKit.Render(new ChatReply("builds", [
            new FactsBlock([new Fact("Version", "1.0 <!here>")]),
            new ListItemBlock("Demo <@U1>", "notes & more"),
        ]))["blocks"]!.AsArray();

        Assert.Equal("*Version*\n1.0 &lt;!here&gt;", blocks[0]!["fields"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("*Demo &lt;@\u2060U1&gt;*\nnotes &amp; more", blocks[1]!["text"]!["text"]!.GetValue<string>());
        Assert.Equal("mrkdwn", blocks[1]!["text"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("@here", "@\u2060here")]
    [InlineData("hi @channel!", "hi @\u2060channel!")]
    [InlineData("(@ios-devs)", "(@\u2060ios-devs)")]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("a @ b", "a @ b")]
    [InlineData("@", "@")]
    public void AnAtSignThatStartsAWordIsDefused(string text, string expected) =>
        Assert.Equal(expected, SlackBlockKit.EscapeWithin(text, 100));

    [Theory]
    [InlineData("@here", 2, "…")]
    [InlineData("@here", 3, "@\u2060…")]
    [InlineData("x @here", 4, "x …")]
    public void ADefusedMentionIsNeverCutInHalf(string text, int limit, string expected) =>
        Assert.Equal(expected, SlackBlockKit.EscapeWithin(text, limit));
}
