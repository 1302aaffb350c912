using System.Text.Json;
using System.Text.RegularExpressions;

namespace ChatOpsBot.Tests;

/// <summary>
/// Reads a message as Slack would: which of its strings Slack parses for markup, mentions and links, and which it
/// shows literally (<c>plain_text</c> objects and an image's alt text).
/// </summary>
internal static partial class SlackMarkup
{
    /// <summary>Every string in the message, with its JSON path and whether Slack shows it as it is.</summary>
    public static IEnumerable<(string Path, string Text, bool Literal)> Strings(JsonElement message) => Walk(message, "$", literal: false);

    /// <summary>
    /// No string Slack parses carries markup of its own: every <c>&lt;</c> opens one of the renderer's dates, and every
    /// <c>@</c> that starts a word is defused. Checks every string of the message except the literal ones.
    /// </summary>
    public static void AssertCarriesNoMarkup(JsonElement message)
    {
        var parsed = 0;
        foreach (var (path, text, literal) in Strings(message))
        {
            if (literal)
                continue;
            parsed++;
            Assert.False(Control().IsMatch(text), $"{path} carries Slack markup: {text}");
            Assert.False(LiveMention().IsMatch(text), $"{path} can mention someone: {text}");
        }
        Assert.True(parsed > 0, "The message has no text Slack parses: " + message.GetRawText());
    }

    private static IEnumerable<(string Path, string Text, bool Literal)> Walk(JsonElement node, string path, bool literal)
    {
        switch (node.ValueKind)
        {
            case JsonValueKind.String:
                yield return (path, node.GetString()!, literal);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in node.EnumerateArray())
                {
                    foreach (var found in Walk(item, $"{path}[{i++}]", literal: false))
                        yield return found;
                }
                break;
            case JsonValueKind.Object:
                var plainText = node.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "plain_text";
                foreach (var property in node.EnumerateObject())
                {
                    var shownAsIs = (plainText && property.Name == "text") || property.Name == "alt_text";
                    foreach (var found in Walk(property.Value, $"{path}.{property.Name}", shownAsIs))
                        yield return found;
                }
                break;
        }
    }

    // The only markup the renderer writes itself: a date shown in the reader's own time zone.
    [GeneratedRegex(@"<(?!!date\^\d+\^)", RegexOptions.CultureInvariant)]
    private static partial Regex Control();

    [GeneratedRegex(@"(?<![\p{L}\p{N}])@(?!\u2060)(?=\S)", RegexOptions.CultureInvariant)]
    private static partial Regex LiveMention();
}
