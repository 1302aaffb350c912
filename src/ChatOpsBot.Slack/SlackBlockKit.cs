using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Slack;

/// <summary>
/// Renders a <see cref="ChatReply"/> as a Block Kit message (<c>text</c> + <c>blocks</c>), keeping within Block Kit's
/// limits so Slack never answers <c>invalid_blocks</c>. Every message to Slack (replies, ephemeral and response_url
/// posts, announcements, dead-link notices) is rendered here, and every text comes from a reply's plain text, so
/// no build's metadata and nothing a person typed can become Slack markup:
/// <list type="bullet">
/// <item>Text that needs no formatting goes out as <c>plain_text</c>, which Slack shows literally.</item>
/// <item>Text Slack parses (the <c>text</c> fallback, which notifications, previews and screen readers use, and
/// every <c>mrkdwn</c> object) passes through <see cref="EscapeWithin"/> and nothing else.</item>
/// </list>
/// </summary>
internal static class SlackBlockKit
{
    public const int MaxBlocks = 50;
    public const int MaxHeader = 150;
    public const int MaxSectionText = 3000;
    public const int MaxFields = 10;
    public const int MaxFieldText = 2000;
    public const int MaxButtonText = 75;
    public const int MaxUrl = 3000;
    public const int MaxButtonValue = 2000;
    public const int MaxAltText = 2000;
    public const int MaxContextText = 3000;
    public const int MaxFallbackText = 3000;

    public const string OpenLinkActionId = ChatActions.OpenLink;

    /// <summary>A message body for chat.postMessage, chat.postEphemeral, response_url or a slash command answer.</summary>
    public static JsonObject Render(ChatReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var blocks = new List<JsonObject>();
        foreach (var block in reply.Blocks)
            blocks.AddRange(RenderBlock(block));
        if (blocks.Count > MaxBlocks)
        {
            var hidden = blocks.Count - (MaxBlocks - 1);
            blocks = blocks[..(MaxBlocks - 1)];
            blocks.Add(Context(string.Create(CultureInfo.InvariantCulture, $"{hidden} more not shown.")));
        }
        return new JsonObject
        {
            ["text"] = EscapeWithin(reply.Text, MaxFallbackText),
            ["blocks"] = new JsonArray([.. blocks]),
        };
    }

    /// <summary>A slash command or response_url answer: ephemeral unless the reply is public.</summary>
    public static JsonObject RenderResponse(ChatReply reply, bool replaceOriginal = false)
    {
        var message = Render(reply);
        message["response_type"] = reply.Private ? "ephemeral" : "in_channel";
        message["replace_original"] = replaceOriginal;
        return message;
    }

    private static IEnumerable<JsonObject> RenderBlock(ReplyBlock block)
    {
        switch (block)
        {
            case HeaderBlock header:
                yield return new JsonObject { ["type"] = "header", ["text"] = PlainText(header.Text, MaxHeader) };
                break;
            // Paragraphs (release notes, answers that echo what was typed) need no formatting: as plain text,
            // `*`, `_`, `~`, `>` and backquotes in them stay characters.
            case TextBlock text:
                yield return Section(PlainText(text.Text, MaxSectionText));
                break;
            case WarningBlock warning:
                yield return Section(PlainText(":warning: " + warning.Text, MaxSectionText));
                break;
            case FactsBlock facts:
                foreach (var chunk in facts.Facts.Chunk(MaxFields))
                    yield return new JsonObject { ["type"] = "section", ["fields"] = new JsonArray([.. chunk.Select(f => Mrkdwn(FactText(f)))]) };
                break;
            case LinkButtonBlock link when IsWebUrl(link.Url):
                yield return new JsonObject
                {
                    ["type"] = "actions",
                    ["elements"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = PlainText(link.Label, MaxButtonText),
                        ["url"] = link.Url,
                        ["action_id"] = OpenLinkActionId,
                        ["style"] = "primary",
                    }),
                };
                break;
            case ImageBlock image when IsWebUrl(image.Url):
                yield return new JsonObject
                {
                    ["type"] = "image",
                    ["image_url"] = image.Url,
                    ["alt_text"] = Fit(image.AltText, MaxAltText),
                };
                break;
            case ContextBlock context:
                yield return Context(EscapeWithin(context.Text, MaxContextText));
                break;
            case ListItemBlock item:
                var title = "*" + EscapeWithin(item.Title, 200) + "*";
                var section = Section(Mrkdwn(item.Detail.Length == 0 ? title : title + "\n" + EscapeWithin(item.Detail, MaxSectionText - title.Length - 1)));
                if (item.Action is { } action && action.Value.Length <= MaxButtonValue && action.ActionId.Length <= 255)
                {
                    section["accessory"] = new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = PlainText(action.Label, MaxButtonText),
                        ["action_id"] = action.ActionId,
                        ["value"] = action.Value,
                    };
                }
                yield return section;
                break;
        }
    }

    // A link cut short would lead somewhere else, and Slack refuses non-web schemes in buttons: such blocks are dropped.
    private static bool IsWebUrl(string url) =>
        url.Length <= MaxUrl && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string FactText(Fact fact)
    {
        var label = "*" + EscapeWithin(fact.Label, 100) + "*\n";
        if (fact.Time is { } time)
            return label + SlackDate(time);
        return label + EscapeWithin(fact.Text ?? "", MaxFieldText - label.Length);
    }

    /// <summary>Slack shows the time in the reader's own zone; clients that cannot get the UTC fallback.</summary>
    public static string SlackDate(DateTimeOffset time) => string.Create(CultureInfo.InvariantCulture,
        $"<!date^{time.ToUnixTimeSeconds()}^{{date_short_pretty}} {{time}}|{time.UtcDateTime:yyyy-MM-dd HH:mm} UTC>");

    private static JsonObject Section(JsonObject text) => new() { ["type"] = "section", ["text"] = text };

    private static JsonObject Context(string mrkdwn) =>
        new() { ["type"] = "context", ["elements"] = new JsonArray(Mrkdwn(mrkdwn)) };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    // Slack shows plain_text as it is, without markup, mentions or links, and escapes it itself: an entity written
    // here would be shown as typed, so plain text is cut to length and nothing more.
    private static JsonObject PlainText(string text, int limit) =>
        new() { ["type"] = "plain_text", ["text"] = Fit(text, limit), ["emoji"] = true };

    /// <summary>
    /// Makes plain text safe inside anything Slack parses as mrkdwn, cutting whole characters (never an entity, a
    /// defused mention or a surrogate pair) to stay within the limit. <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> become
    /// entities, so no <c>&lt;!channel&gt;</c>, <c>&lt;@U…&gt;</c>, <c>&lt;#C…&gt;</c>, <c>&lt;!subteam^…&gt;</c> or
    /// <c>&lt;url|label&gt;</c> can come out of the text; and an <c>@</c> that starts a word gets a word joiner after
    /// it, so "@channel", "@here" or a user group's handle never turn into a mention, whichever of its parse modes
    /// Slack applies (they differ between chat.postMessage, response URLs and chat.update, and are not all
    /// documented). Formatting characters (<c>*</c>,
    /// <c>_</c>, <c>~</c>, backquotes) have no escape in mrkdwn and stay: they can style text, not link or notify.
    /// </summary>
    public static string EscapeWithin(string text, int limit)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(Math.Min(text.Length + 16, limit));
        var rest = text.AsSpan();
        var previous = '\0';
        while (!rest.IsEmpty)
        {
            var length = char.IsHighSurrogate(rest[0]) && rest.Length > 1 && char.IsLowSurrogate(rest[1]) ? 2 : 1;
            var piece = rest[0] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '@' when !char.IsLetterOrDigit(previous) && rest.Length > 1 && !char.IsWhiteSpace(rest[1]) => "@\u2060",
                _ => rest[..length].ToString(),
            };
            var remaining = rest.Length - length;
            if (escaped.Length + piece.Length + (remaining > 0 ? 1 : 0) > limit)
                return escaped.Append('…').ToString();
            escaped.Append(piece);
            previous = rest[length - 1];
            rest = rest[length..];
        }
        return escaped.ToString();
    }

    /// <summary>Cuts plain text to the limit on a character boundary, marking the cut with an ellipsis.</summary>
    public static string Fit(string text, int limit)
    {
        if (text.Length <= limit)
            return text;
        var cut = limit - 1;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
            cut--;
        return string.Concat(text.AsSpan(0, cut), "…");
    }
}
