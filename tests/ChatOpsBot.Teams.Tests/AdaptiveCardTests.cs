using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using CoreTextBlock = ChatOpsBot.Core.Chat.TextBlock;

namespace ChatOpsBot.Teams.Tests;

public sealed class AdaptiveCardTests
{
    private static readonly DateTimeOffset Expiry = new(2026, 11, 23, 10, 0, 0, TimeSpan.FromHours(1));

    private static ChatReply LinkReply() => new("Your install link", [
        new HeaderBlock("Demo 1.4.2 (187)"),
        new FactsBlock([new Fact("Version", "1.4.2"), new Fact("Link expires", Time: Expiry)]),
        new CoreTextBlock("Notes"),
        new WarningBlock("Ad-hoc build"),
        new LinkButtonBlock("Install on iPhone", "https://ota.example.test/i/tok3n"),
        new LinkButtonBlock("Install directly", "itms-services://?action=download-manifest&url=x"),
        new ImageBlock("https://ota.example.test/i/tok3n/qr.png", "QR code"),
        new ContextBlock("Open in Safari: https://ota.example.test/i/tok3n"),
    ]);

    [Fact]
    public void LinkReplyBecomesAVersion14CardWithAnOpenUrlButtonToTheInstallPage()
    {
        var card = AdaptiveCards.Render(LinkReply());

        Assert.Equal("AdaptiveCard", (string?)card["type"]);
        Assert.Equal("1.4", (string?)card["version"]);
        var body = card["body"]!.AsArray();
        Assert.Equal(["TextBlock", "FactSet", "TextBlock", "TextBlock", "Image", "TextBlock"], body.Select(b => (string?)b!["type"]));
        Assert.Equal("Bolder", (string?)body[0]!["weight"]);
        Assert.Equal("Medium", (string?)body[0]!["size"]);
        Assert.Equal("Warning", (string?)body[3]!["color"]);
        Assert.True((bool?)body[5]!["isSubtle"]);
        Assert.Equal("Small", (string?)body[5]!["size"]);
        var facts = body[1]!["facts"]!.AsArray();
        Assert.Equal("1.4.2", (string?)facts[0]!["value"]);
        Assert.Equal("{{DATE(2026-11-23T09:00:00Z, SHORT)}} {{TIME(2026-11-23T09:00:00Z)}}", (string?)facts[1]!["value"]);
        var action = Assert.Single(card["actions"]!.AsArray())!;
        Assert.Equal("Action.OpenUrl", (string?)action["type"]);
        Assert.Equal("Install on iPhone", (string?)action["title"]);
        Assert.Equal("https://ota.example.test/i/tok3n", (string?)action["url"]);
        Assert.DoesNotContain("itms-services", card.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ListItemWithAnActionBecomesAContainerWithExecuteFallingBackToSubmitInAVersion15Card()
    {
        var card = AdaptiveCards.Render(new ChatReply("builds", [
            new ListItemBlock("1.4.2 (187) · beta", "uploaded 2026-11-23", new ReplyAction("Get link", ChatActions.GetLink, "42")),
            new ListItemBlock("1.4.1 (186) · beta", "revoked"),
        ]));

        Assert.Equal("1.5", (string?)card["version"]);
        var containers = card["body"]!.AsArray();
        Assert.All(containers, c => Assert.Equal("Container", (string?)c!["type"]));
        var items = containers[0]!["items"]!.AsArray();
        Assert.Equal("1.4.2 (187) · beta", (string?)items[0]!["text"]);
        var execute = items[2]!["actions"]![0]!;
        Assert.Equal("Action.Execute", (string?)execute["type"]);
        Assert.Equal("get_link", (string?)execute["verb"]);
        Assert.Equal("Get link", (string?)execute["title"]);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["action"] = "get_link", ["value"] = "42" }, execute["data"]));
        Assert.Equal("Action.Submit", (string?)execute["fallback"]!["type"]);
        Assert.True(JsonNode.DeepEquals(execute["data"], execute["fallback"]!["data"]));
        Assert.Equal(2, containers[1]!["items"]!.AsArray().Count);
    }

    [Fact]
    public void AttachmentCarriesTheAdaptiveCardContentType() =>
        Assert.Equal("application/vnd.microsoft.card.adaptive", (string?)AdaptiveCards.Attachment(new JsonObject())["contentType"]);
}
