using System.Globalization;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using CoreTextBlock = ChatOpsBot.Core.Chat.TextBlock;

namespace ChatOpsBot.Teams;

/// <summary>
/// Renders a <see cref="ChatReply"/> as an Adaptive Card: 1.4, or 1.5 when a button uses Action.Execute. Every text a
/// card renders as Markdown (TextBlocks, facts) is escaped here, the one place cards are built; button titles and
/// alternative texts are plain text in Adaptive Cards and stay as they are.
/// </summary>
internal static class AdaptiveCards
{
    public const string ContentType = "application/vnd.microsoft.card.adaptive";

    public static JsonObject Render(ChatReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var body = new JsonArray();
        var actions = new JsonArray();
        var execute = false;
        // The reply's own buttons' addresses, written out in its text, become links to themselves.
        var ownUrls = reply.Blocks.OfType<LinkButtonBlock>().Select(b => b.Url).Where(IsWebUrl).ToList();
        string Md(string text) => TeamsMarkdown.Escape(text, ownUrls);
        foreach (var block in reply.Blocks)
        {
            switch (block)
            {
                case HeaderBlock header:
                    body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Md(header.Text), ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true });
                    break;
                case CoreTextBlock text:
                    body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Md(text.Text), ["wrap"] = true });
                    break;
                case WarningBlock warning:
                    body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Md(warning.Text), ["color"] = "Warning", ["wrap"] = true });
                    break;
                case FactsBlock facts:
                    body.Add(new JsonObject
                    {
                        ["type"] = "FactSet",
                        ["facts"] = new JsonArray([.. facts.Facts.Select(f => (JsonNode)new JsonObject { ["title"] = Md(f.Label), ["value"] = FactValue(f, Md) })]),
                    });
                    break;
                case LinkButtonBlock link when IsWebUrl(link.Url):
                    actions.Add(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = link.Label, ["url"] = link.Url });
                    break;
                case ImageBlock image when IsWebUrl(image.Url):
                    body.Add(new JsonObject { ["type"] = "Image", ["url"] = image.Url, ["altText"] = image.AltText, ["size"] = "Medium" });
                    break;
                case ContextBlock context:
                    body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Md(context.Text), ["isSubtle"] = true, ["size"] = "Small", ["wrap"] = true });
                    break;
                case ListItemBlock item:
                    var items = new JsonArray
                    {
                        new JsonObject { ["type"] = "TextBlock", ["text"] = Md(item.Title), ["weight"] = "Bolder", ["wrap"] = true },
                        new JsonObject { ["type"] = "TextBlock", ["text"] = Md(item.Detail), ["isSubtle"] = true, ["spacing"] = "None", ["wrap"] = true },
                    };
                    if (item.Action is { } action)
                    {
                        items.Add(new JsonObject { ["type"] = "ActionSet", ["actions"] = new JsonArray(Execute(action)) });
                        execute = true;
                    }
                    body.Add(new JsonObject { ["type"] = "Container", ["separator"] = true, ["items"] = items });
                    break;
            }
        }
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["version"] = execute ? "1.5" : "1.4",
            ["body"] = body,
            ["msteams"] = new JsonObject { ["width"] = "Full" },
        };
        if (actions.Count > 0)
            card["actions"] = actions;
        return card;
    }

    public static JsonObject Attachment(JsonObject card) => new() { ["contentType"] = ContentType, ["content"] = card };

    /// <summary>The reader's own date and time zone, through the card's DATE and TIME functions on a UTC instant.</summary>
    private static string FactValue(Fact fact, Func<string, string> markdown)
    {
        if (fact.Time is not { } time)
            return markdown(fact.Text ?? "");
        var utc = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return $"{{{{DATE({utc}, SHORT)}}}} {{{{TIME({utc})}}}}";
    }

    /// <summary>Action.Execute answers in place (an invoke); clients older than 1.5 fall back to Action.Submit (a message).</summary>
    private static JsonObject Execute(ReplyAction action) => new()
    {
        ["type"] = "Action.Execute",
        ["title"] = action.Label,
        ["verb"] = action.ActionId,
        ["data"] = Data(action),
        ["fallback"] = new JsonObject { ["type"] = "Action.Submit", ["title"] = action.Label, ["data"] = Data(action) },
    };

    private static JsonObject Data(ReplyAction action) => new() { ["action"] = action.ActionId, ["value"] = action.Value };

    // Teams blocks custom schemes such as itms-services: buttons and images point at the https pages only.
    private static bool IsWebUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
