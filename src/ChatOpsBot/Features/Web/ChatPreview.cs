using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Slack;
using ChatOpsBot.Teams;

namespace ChatOpsBot.Features.Web;

/// <summary>A piece of text in a preview: plain, bold, or a link. Razor encodes it; nothing here is markup.</summary>
internal sealed record PreviewRun(string Text, bool Bold = false, string? Href = null);

/// <summary>A button in a preview: a link (<see cref="Href"/>) or an action that comes back to the bot.</summary>
internal sealed record PreviewButton(string Label, string? Href, string? ActionId, string? Value, bool Primary);

/// <summary>One element of a rendered chat message.</summary>
internal abstract record PreviewElement;

internal sealed record PreviewHeader(IReadOnlyList<PreviewRun> Runs) : PreviewElement;

/// <summary>A paragraph; <see cref="Tone"/> is <c>warning</c>, <c>subtle</c> or empty.</summary>
internal sealed record PreviewParagraph(IReadOnlyList<PreviewRun> Runs, string Tone = "") : PreviewElement;

internal sealed record PreviewFields(IReadOnlyList<(IReadOnlyList<PreviewRun> Label, IReadOnlyList<PreviewRun> Value)> Fields) : PreviewElement;

/// <summary>A section (Slack) or container (Teams) with its own button beside or under it.</summary>
internal sealed record PreviewItem(IReadOnlyList<PreviewElement> Body, PreviewButton? Button) : PreviewElement;

/// <summary>An image; <see cref="Shown"/> is false when the page may not load it (not on this origin), so its alternative text stands in.</summary>
internal sealed record PreviewImage(string Url, string AltText, bool Shown) : PreviewElement;

internal sealed record PreviewButtons(IReadOnlyList<PreviewButton> Buttons) : PreviewElement;

/// <summary>
/// What Slack and Teams would show for a <see cref="ChatReply"/>: the adapters' own renderings (the Block Kit message
/// of <see cref="SlackBlockKit"/> and the Adaptive Card of <see cref="AdaptiveCards"/>) read back into elements the
/// Try page draws as HTML. Reading the adapters' output rather than the reply keeps the preview honest: what the page
/// shows is what those renderers send.
/// </summary>
internal static partial class ChatPreview
{
    public static JsonObject SlackMessage(ChatReply reply) => SlackBlockKit.Render(reply);

    public static JsonObject TeamsCard(ChatReply reply) => AdaptiveCards.Render(reply);

    /// <summary>The Block Kit blocks of a Slack message, in order.</summary>
    public static IReadOnlyList<PreviewElement> FromSlack(JsonObject message, string publicOrigin)
    {
        ArgumentNullException.ThrowIfNull(message);
        var elements = new List<PreviewElement>();
        foreach (var block in message["blocks"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            switch ((string?)block["type"])
            {
                case "header":
                    elements.Add(new PreviewHeader(SlackText(block["text"])));
                    break;
                case "section":
                    var body = new List<PreviewElement>();
                    if (block["text"] is JsonObject text)
                        body.Add(new PreviewParagraph(SlackText(text)));
                    if (block["fields"] is JsonArray fields)
                        body.Add(new PreviewFields([.. fields.Select(f => SlackField(SlackText(f)))]));
                    var accessory = block["accessory"] is JsonObject button ? SlackButton(button) : null;
                    elements.Add(body.Count == 1 && accessory is null ? body[0] : new PreviewItem(body, accessory));
                    break;
                case "actions":
                    elements.Add(new PreviewButtons([.. block["elements"]?.AsArray().OfType<JsonObject>().Select(SlackButton) ?? []]));
                    break;
                case "image":
                    var url = (string?)block["image_url"] ?? "";
                    elements.Add(new PreviewImage(url, (string?)block["alt_text"] ?? "", SameOrigin(url, publicOrigin)));
                    break;
                case "context":
                    elements.Add(new PreviewParagraph([.. block["elements"]?.AsArray().SelectMany(SlackText) ?? []], "subtle"));
                    break;
            }
        }
        return elements;
    }

    /// <summary>The body and actions of an Adaptive Card, in order.</summary>
    public static IReadOnlyList<PreviewElement> FromTeams(JsonObject card, string publicOrigin)
    {
        ArgumentNullException.ThrowIfNull(card);
        var elements = new List<PreviewElement>();
        foreach (var item in card["body"]?.AsArray().OfType<JsonObject>() ?? [])
            elements.Add(TeamsElement(item, publicOrigin));
        if (card["actions"] is JsonArray actions)
            elements.Add(new PreviewButtons([.. actions.OfType<JsonObject>().Select(TeamsAction)]));
        return elements;
    }

    private static PreviewElement TeamsElement(JsonObject item, string publicOrigin)
    {
        switch ((string?)item["type"])
        {
            case "TextBlock":
                var runs = TeamsText((string?)item["text"] ?? "");
                if ((string?)item["weight"] == "Bolder" && (string?)item["size"] == "Medium")
                    return new PreviewHeader(runs);
                if ((string?)item["weight"] == "Bolder")
                    return new PreviewParagraph([.. runs.Select(r => r with { Bold = true })]);
                return new PreviewParagraph(runs, (string?)item["color"] == "Warning" ? "warning" : (bool?)item["isSubtle"] == true ? "subtle" : "");
            case "FactSet":
                return new PreviewFields([.. item["facts"]?.AsArray().OfType<JsonObject>()
                    .Select(f => ((IReadOnlyList<PreviewRun>)TeamsText((string?)f["title"] ?? ""), (IReadOnlyList<PreviewRun>)TeamsText((string?)f["value"] ?? ""))) ?? []]);
            case "Image":
                var url = (string?)item["url"] ?? "";
                return new PreviewImage(url, (string?)item["altText"] ?? "", SameOrigin(url, publicOrigin));
            case "Container":
                var body = new List<PreviewElement>();
                PreviewButton? button = null;
                foreach (var inner in item["items"]?.AsArray().OfType<JsonObject>() ?? [])
                {
                    if ((string?)inner["type"] == "ActionSet")
                        button = inner["actions"]?.AsArray().OfType<JsonObject>().Select(TeamsAction).FirstOrDefault();
                    else
                        body.Add(TeamsElement(inner, publicOrigin));
                }
                return new PreviewItem(body, button);
            case "ActionSet":
                return new PreviewButtons([.. item["actions"]?.AsArray().OfType<JsonObject>().Select(TeamsAction) ?? []]);
            default:
                return new PreviewParagraph([new PreviewRun($"({(string?)item["type"]})")], "subtle");
        }
    }

    private static PreviewButton TeamsAction(JsonObject action) => (string?)action["type"] switch
    {
        "Action.OpenUrl" => new PreviewButton((string?)action["title"] ?? "", (string?)action["url"], null, null, Primary: true),
        _ => new PreviewButton((string?)action["title"] ?? "", null, (string?)action["data"]?["action"], (string?)action["data"]?["value"], Primary: false),
    };

    private static PreviewButton SlackButton(JsonObject button)
    {
        var label = (string?)button["text"]?["text"] ?? "";
        return button["url"] is { } url
            ? new PreviewButton(label, (string?)url, null, null, (string?)button["style"] == "primary")
            : new PreviewButton(label, null, (string?)button["action_id"], (string?)button["value"], (string?)button["style"] == "primary");
    }

    /// <summary>A fact field is "*label*\nvalue": the label goes in its own column.</summary>
    private static (IReadOnlyList<PreviewRun>, IReadOnlyList<PreviewRun>) SlackField(IReadOnlyList<PreviewRun> runs)
    {
        if (runs is [{ Bold: true } label, ..] && runs.Count > 1 && runs[1].Text.StartsWith('\n'))
            return ([label with { Bold = false }], [runs[1] with { Text = runs[1].Text[1..] }, .. runs.Skip(2)]);
        return ([], runs);
    }

    private static IReadOnlyList<PreviewRun> SlackText(JsonNode? node)
    {
        if (node is not JsonObject text)
            return [];
        var value = (string?)text["text"] ?? "";
        return (string?)text["type"] == "mrkdwn" ? Mrkdwn(value) : [new PreviewRun(value)];
    }

    /// <summary>
    /// Slack's mrkdwn as the adapter writes it: <c>*bold*</c>, <c>&lt;!date^…|fallback&gt;</c>, and the three entities.
    /// Slack shows a date in the reader's zone; the page shows its UTC fallback.
    /// </summary>
    private static List<PreviewRun> Mrkdwn(string text)
    {
        var runs = new List<PreviewRun>();
        var withDates = SlackDate().Replace(text, m => m.Groups["fallback"].Value);
        var bold = false;
        foreach (var part in withDates.Split('*'))
        {
            if (part.Length > 0)
                runs.Add(new PreviewRun(WebUtility.HtmlDecode(part), bold));
            bold = !bold;
        }
        return runs;
    }

    /// <summary>Adaptive Card Markdown as <see cref="TeamsMarkdown"/> writes it: backslash escapes, links to the bot's own addresses, DATE and TIME.</summary>
    private static List<PreviewRun> TeamsText(string text)
    {
        text = TeamsDate().Replace(text, m => DateTimeOffset.TryParse(m.Groups["utc"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString(m.Groups["kind"].Value == "DATE" ? "yyyy-MM-dd" : "HH:mm 'UTC'", CultureInfo.InvariantCulture)
            : m.Value);
        var runs = new List<PreviewRun>();
        var from = 0;
        foreach (Match link in TeamsLink().Matches(text))
        {
            if (link.Index > from)
                runs.Add(new PreviewRun(Unescape(text[from..link.Index])));
            runs.Add(new PreviewRun(Unescape(link.Groups["label"].Value), Href: link.Groups["url"].Value));
            from = link.Index + link.Length;
        }
        if (from < text.Length)
            runs.Add(new PreviewRun(Unescape(text[from..])));
        return runs;
    }

    private static string Unescape(string markdown)
    {
        var plain = new StringBuilder(markdown.Length);
        for (var i = 0; i < markdown.Length; i++)
        {
            var c = markdown[i];
            if (c == '\\' && i + 1 < markdown.Length && markdown[i + 1] is > ' ' and < '\u007F' && !char.IsAsciiLetterOrDigit(markdown[i + 1]))
                c = markdown[++i];
            if (c != '\u200B')
                plain.Append(c);
        }
        return plain.ToString();
    }

    /// <summary>The page's own policy loads images from this origin only; the QR code and icons are served here.</summary>
    private static bool SameOrigin(string url, string publicOrigin) =>
        Uri.TryCreate(url, UriKind.Absolute, out var image) && Uri.TryCreate(publicOrigin, UriKind.Absolute, out var origin)
        && string.Equals(image.GetLeftPart(UriPartial.Authority), origin.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"<!date\^\d+\^[^|>]*\|(?<fallback>[^>]*)>")]
    private static partial Regex SlackDate();

    [GeneratedRegex(@"\{\{(?<kind>DATE|TIME)\((?<utc>[0-9T:\-]+Z)(, *SHORT)?\)\}\}")]
    private static partial Regex TeamsDate();

    [GeneratedRegex(@"\[(?<label>(?:\\.|[^\]\\])*)\]\((?<url>https?://[^)\s]+)\)")]
    private static partial Regex TeamsLink();
}
