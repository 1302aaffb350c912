using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOpsBot.Tests;

namespace ChatOpsBot.Teams.Tests;

public sealed class MentionTests
{
    private static Activity Message(string text, JsonArray? entities = null)
    {
        var json = new JsonObject
        {
            ["type"] = "message",
            ["text"] = text,
            ["recipient"] = new JsonObject { ["id"] = FakeBotFramework.BotId, ["name"] = "ChatOpsBot" },
            ["entities"] = entities ?? new JsonArray(Mention(FakeBotFramework.BotId, "ChatOpsBot")),
        };
        return JsonSerializer.Deserialize(json.ToJsonString(), TeamsJson.Default.Activity)!;
    }

    private static JsonObject Mention(string id, string name) => new()
    {
        ["type"] = "mention",
        ["mentioned"] = new JsonObject { ["id"] = id, ["name"] = name },
        ["text"] = $"<at>{name}</at>",
    };

    [Theory]
    [InlineData("<at>ChatOpsBot</at> install demo beta", "install demo beta")]
    [InlineData("<at>ChatOpsBot</at>install demo beta", "install demo beta")]
    [InlineData("  <at>ChatOpsBot</at>   install   demo beta  ", "install demo beta")]
    [InlineData("install <at>ChatOpsBot</at> demo", "install demo")]
    [InlineData("install demo&nbsp;beta", "install demo beta")]
    [InlineData("<p><at>ChatOpsBot</at> builds Tom &amp; Jerry</p>", "builds Tom & Jerry")]
    [InlineData("builds &lt;app&gt;", "builds <app>")]
    [InlineData("help", "help")]
    [InlineData("", "")]
    public void BotMentionIsRemovedAndTheRestDecoded(string text, string expected) =>
        Assert.Equal(expected, TeamsMentions.CommandText(Message(text)));

    [Fact]
    public void OtherMentionsKeepTheirName() =>
        Assert.Equal("install demo for Grace Hopper", TeamsMentions.CommandText(Message(
            "<at>ChatOpsBot</at> install demo for <at>Grace Hopper</at>",
            new JsonArray(Mention(FakeBotFramework.BotId, "ChatOpsBot"), Mention("29:grace", "Grace Hopper")))));

    [Fact]
    public void MentionOfAnotherBotWithTheSameNameIsKept() =>
        Assert.Equal("ChatOpsBot help", TeamsMentions.CommandText(Message(
            "<at>ChatOpsBot</at> help", new JsonArray(Mention("28:another-app", "ChatOpsBot")))));

    [Fact]
    public void WithoutMentionEntitiesTheBotIsRecognisedByName() =>
        Assert.Equal("builds", TeamsMentions.CommandText(Message("<at>ChatOpsBot</at> builds", [])));
}
