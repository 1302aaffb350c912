using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Slack.Tests;

public sealed class SlackBlockKitTests
{
    private static readonly DateTimeOffset Expires = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static ChatReply InstallReply(string installUrl = "https://ota.example.test/i/abc") => new("Your install link", [
        new HeaderBlock("Demo & Co 1.4.2 (187)"),
        new FactsBlock([new Fact("Version", "1.4.2"), new Fact("Build", "187"), new Fact("Channel", "beta"), new Fact("Link expires", Time: Expires)]),
        new TextBlock("Fixes <script> & crashes"),
        new WarningBlock("Ad-hoc build"),
        new LinkButtonBlock("Install on iPhone", installUrl),
        new ImageBlock("https://ota.example.test/i/abc/qr.png", "QR code"),
        new ContextBlock("Open in Safari: " + installUrl),
    ]);

    private static JsonArray Blocks(ChatReply reply) => SlackBlockKit.Render(reply)["blocks"]!.AsArray();

    private static string Type(JsonNode? block) => block!["type"]!.GetValue<string>();

    [Fact]
    public void InstallReplyBecomesHeaderFieldsTextWarningButtonImageAndContext()
    {
        var blocks = Blocks(InstallReply());

        Assert.Equal(["header", "section", "section", "section", "actions", "image", "context"], blocks.Select(Type));
        Assert.Equal("Demo & Co 1.4.2 (187)", blocks[0]!["text"]!["text"]!.GetValue<string>());
        Assert.Equal("plain_text", blocks[0]!["text"]!["type"]!.GetValue<string>());
        var fields = blocks[1]!["fields"]!.AsArray().Select(f => f!["text"]!.GetValue<string>()).ToArray();
        Assert.Equal(["*Version*\n1.4.2", "*Build*\n187", "*Channel*\nbeta", "*Link expires*\n<!date^1795428000^{date_short_pretty} {time}|2026-11-23 10:00 UTC>"], fields);
        Assert.Equal("Fixes <script> & crashes", blocks[2]!["text"]!["text"]!.GetValue<string>());
        Assert.Equal("plain_text", blocks[2]!["text"]!["type"]!.GetValue<string>());
        Assert.Equal(":warning: Ad-hoc build", blocks[3]!["text"]!["text"]!.GetValue<string>());
        var button = blocks[4]!["elements"]!.AsArray().Single()!;
        Assert.Equal("button", Type(button));
        Assert.Equal("Install on iPhone", button["text"]!["text"]!.GetValue<string>());
        Assert.Equal("https://ota.example.test/i/abc", button["url"]!.GetValue<string>());
        Assert.Equal("open_link", button["action_id"]!.GetValue<string>());
        Assert.Equal("primary", button["style"]!.GetValue<string>());
        Assert.Equal("https://ota.example.test/i/abc/qr.png", blocks[5]!["image_url"]!.GetValue<string>());
        Assert.Equal("QR code", blocks[5]!["alt_text"]!.GetValue<string>());
        Assert.Equal("Open in Safari: https://ota.example.test/i/abc", blocks[6]!["elements"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void ReplyTextIsTheNotificationFallback() =>
        Assert.Equal("Your install link", SlackBlockKit.Render(InstallReply())["text"]!.GetValue<string>());

    [Fact]
    public void PrivateReplyIsEphemeralAndPublicReplyIsInChannel()
    {
        Assert.Equal("ephemeral", SlackBlockKit.RenderResponse(ChatReply.Message("hi"))["response_type"]!.GetValue<string>());
        Assert.Equal("in_channel", SlackBlockKit.RenderResponse(ChatReply.Message("hi") with { Private = false })["response_type"]!.GetValue<string>());
    }

    [Fact]
    public void ListItemWithAnActionGetsAGetLinkButtonCarryingTheValue()
    {
        var blocks = Blocks(new ChatReply("builds", [new ListItemBlock("1.4.2 (187)", "beta, uploaded today", new ReplyAction("Get link", ChatActions.GetLink, "42")), new ListItemBlock("1.4.1 (186)", "revoked")]));

        Assert.Equal("*1.4.2 (187)*\nbeta, uploaded today", blocks[0]!["text"]!["text"]!.GetValue<string>());
        var accessory = blocks[0]!["accessory"]!;
        Assert.Equal("get_link", accessory["action_id"]!.GetValue<string>());
        Assert.Equal("42", accessory["value"]!.GetValue<string>());
        Assert.Equal("Get link", accessory["text"]!["text"]!.GetValue<string>());
        Assert.Null(blocks[1]!["accessory"]);
    }

    [Theory]
    [InlineData("itms-services://?action=download-manifest&url=https%3A%2F%2Fota.example.test%2Fi%2Fabc%2Fmanifest.plist")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/i/abc")]
    public void ButtonsOnlyEverOpenWebAddresses(string url)
    {
        var blocks = Blocks(InstallReply(url));

        Assert.DoesNotContain(blocks, b => Type(b) == "actions");
    }

    [Fact]
    public void ButtonWhoseAddressIsTooLongToOpenIsLeftOutRatherThanCut()
    {
        var blocks = Blocks(InstallReply("https://ota.example.test/i/" + new string('a', 3000)));

        Assert.DoesNotContain(blocks, b => Type(b) == "actions");
        Assert.All(blocks, b => Assert.True(b!.ToJsonString().Length < 8000));
    }

    [Fact]
    public void LongTextsAreCutToBlockKitsLimits()
    {
        var reply = new ChatReply(new string('t', 5000), [
            new HeaderBlock(new string('h', 500)),
            new TextBlock(new string('&', 5000)),
            new FactsBlock([.. Enumerable.Range(0, 23).Select(i => new Fact("Fact " + i, new string('f', 3000)))]),
            new LinkButtonBlock(new string('b', 200), "https://ota.example.test/i/abc"),
            new ListItemBlock(new string('l', 4000), new string('d', 4000), new ReplyAction(new string('g', 200), ChatActions.GetLink, "1")),
            new ContextBlock(new string('<', 4000)),
        ]);

        var message = SlackBlockKit.Render(reply);
        var blocks = message["blocks"]!.AsArray();

        Assert.True(message["text"]!.GetValue<string>().Length <= 3000);
        Assert.True(blocks[0]!["text"]!["text"]!.GetValue<string>().Length <= 150);
        var text = blocks[1]!["text"]!["text"]!.GetValue<string>();
        Assert.True(text.Length <= 3000);
        Assert.Matches("^&+…$", text);
        var fieldSections = blocks.Where(b => b!["fields"] is not null).ToList();
        Assert.Equal([10, 10, 3], fieldSections.Select(s => s!["fields"]!.AsArray().Count));
        Assert.All(fieldSections.SelectMany(s => s!["fields"]!.AsArray()), f => Assert.True(f!["text"]!.GetValue<string>().Length <= 2000));
        var buttons = blocks.SelectMany(b => b!["elements"]?.AsArray().Where(e => Type(e) == "button") ?? []).Concat(blocks.Select(b => b!["accessory"]).OfType<JsonNode>()).ToList();
        Assert.Equal(2, buttons.Count);
        Assert.All(buttons, b => Assert.True(b!["text"]!["text"]!.GetValue<string>().Length <= 75));
        Assert.All(blocks.Where(b => Type(b) == "section" && b!["text"] is not null), s => Assert.True(s!["text"]!["text"]!.GetValue<string>().Length <= 3000));
        Assert.Matches("^(&lt;)+…$", blocks[^1]!["elements"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void MoreThanFiftyBlocksAreCutToFiftyWithANote()
    {
        var reply = new ChatReply("builds", [.. Enumerable.Range(0, 80).Select(i => new ListItemBlock("Build " + i, "beta"))]);

        var blocks = Blocks(reply);

        Assert.Equal(50, blocks.Count);
        Assert.Equal("context", Type(blocks[^1]));
        Assert.Equal("31 more not shown.", blocks[^1]!["elements"]![0]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("plain", 10, "plain")]
    [InlineData("a&b", 5, "a…")]
    [InlineData("a&bc", 7, "a&amp;…")]
    [InlineData("a&b", 7, "a&amp;b")]
    [InlineData("ab&", 6, "ab…")]
    [InlineData("😀😀😀", 5, "😀😀…")]
    [InlineData("😀😀😀", 4, "😀…")]
    public void EscapingNeverCutsAnEntityOrACharacterInHalf(string text, int limit, string expected) =>
        Assert.Equal(expected, SlackBlockKit.EscapeWithin(text, limit));

    [Theory]
    [InlineData("abcdef", 4, "abc…")]
    [InlineData("ab😀", 3, "ab…")]
    [InlineData("a😀b", 3, "a…")]
    public void PlainTextIsCutOnACharacterBoundary(string text, int limit, string expected) =>
        Assert.Equal(expected, SlackBlockKit.Fit(text, limit));
}
