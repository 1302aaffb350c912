using System.Text;
using System.Text.Json.Nodes;
using ChatOpsBot.Core.Chat;
using CoreTextBlock = ChatOpsBot.Core.Chat.TextBlock;

namespace ChatOpsBot.Teams.Tests;

/// <summary>
/// What build metadata and people type reaches cards as text, never as Markdown. The checks read the card the way a
/// CommonMark renderer and Adaptive Cards' older shared renderer do: what is left unescaped cannot form a construct.
/// </summary>
public sealed class CardMarkdownTests
{
    public static readonly TheoryData<string> Hostile =
    [
        "[Click here](https://evil.example)",
        "![pixel](https://evil.example/p.png)",
        "<https://evil.example>",
        "**bold** __bold__ *em* _em_ ~~gone~~ `code`",
        "# Heading",
        "## Heading",
        "- bullet",
        "+ bullet",
        "* bullet",
        "1. first",
        "12) twelfth",
        "> quoted",
        "Title\n===",
        "Title\n---",
        "line one\n  - nested bullet\n# heading on line three",
        "<at>Ada Lovelace</at> <b>bold</b> <img src=x onerror=alert(1)>",
        "&lt;at&gt;Ada&lt;/at&gt; &#60;b&#62;",
        "{{DATE(2026-01-01T00:00:00Z, SHORT)}}",
        "back\\slash \\[not escaped\\](https://evil.example)",
        "[x] (https://evil.example) [y]\n(https://evil.example)",
        "[nested [x](https://evil.example)](https://evil.example)",
        "_leading and trailing_",
    ];

    private static ChatReply EveryBlock(string hostile) => new(hostile, [
        new HeaderBlock(hostile),
        new FactsBlock([new Fact(hostile, hostile), new Fact("Uploaded", Time: new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero))]),
        new CoreTextBlock(hostile),
        new WarningBlock(hostile),
        new LinkButtonBlock(hostile, "https://ota.example.test/i/tok_en-1"),
        new ImageBlock("https://ota.example.test/i/tok_en-1/qr.png", hostile),
        new ContextBlock(hostile + " Paste this address: https://ota.example.test/i/tok_en-1"),
        new ListItemBlock(hostile, hostile, new ReplyAction(hostile, ChatActions.GetLink, "42")),
    ]);

    [Theory]
    [MemberData(nameof(Hostile))]
    public void EveryMarkdownTextOfEveryBlockShowsHostileTextAsTypedAndFormsNoMarkdown(string hostile)
    {
        var card = AdaptiveCards.Render(EveryBlock(hostile));

        var markdown = MarkdownTexts(card).Select(WithoutOwnLinks).ToList();
        // Header, fact title and value, text, warning, context, list title and detail: each shows the text as typed.
        Assert.Equal(8, markdown.Count(t => Unescape(t).StartsWith(hostile, StringComparison.Ordinal)));
        Assert.All(markdown, AssertFormsNoMarkdown);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void ButtonTitlesAndAlternativeTextsArePlainTextAndStayAsTyped(string hostile)
    {
        var card = AdaptiveCards.Render(EveryBlock(hostile));

        var plain = Walk(card).OfType<JsonObject>()
            .SelectMany(o => new[] { o["type"]?.GetValue<string>() is "Action.OpenUrl" or "Action.Execute" or "Action.Submit" ? o["title"] : null, o["altText"] })
            .Where(n => n is not null).Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(4, plain.Count);
        Assert.All(plain, p => Assert.Equal(hostile, p));
    }

    [Fact]
    public void EveryStringOfTheCardOutsideMarkdownIsEitherPlainTextOrTheBotsOwnValue()
    {
        const string Hostile = "[Click here](https://evil.example)";
        var card = AdaptiveCards.Render(EveryBlock(Hostile));
        var markdown = MarkdownTexts(card).ToHashSet();

        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            Hostile, "https://ota.example.test/i/tok_en-1", "https://ota.example.test/i/tok_en-1/qr.png", "42", ChatActions.GetLink,
        };
        foreach (var text in Walk(card).OfType<JsonValue>().Where(v => v.GetValueKind() == System.Text.Json.JsonValueKind.String).Select(v => v.GetValue<string>()))
        {
            if (markdown.Contains(text) || allowed.Contains(text))
                continue;
            // Structure: element types, styles, the schema and version, and the facts' own date functions.
            Assert.DoesNotContain("evil", text, StringComparison.Ordinal);
            Assert.DoesNotContain("](", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheBotsOwnInstallAddressInTextBecomesALinkToItselfExactlyAsItIs()
    {
        var card = AdaptiveCards.Render(EveryBlock("Notes"));

        var context = MarkdownTexts(card).Single(t => t.Contains("Paste this address", StringComparison.Ordinal));
        Assert.EndsWith("Paste this address: [https://ota.example.test/i/tok_en-1](https://ota.example.test/i/tok_en-1)", context, StringComparison.Ordinal);
    }

    [Fact]
    public void AddressesThatAreNotTheBotsOwnStayEscapedTextAndNeverBecomeLinks()
    {
        var card = AdaptiveCards.Render(new ChatReply("notes", [
            new LinkButtonBlock("Install on iPhone", "https://ota.example.test/i/tok3n"),
            new CoreTextBlock("Changelog: https://evil.example/_x_ and [https://ota.example.test/i/tok3n](https://evil.example)"),
        ]));

        var text = MarkdownTexts(card).Single();
        Assert.Equal("Changelog: https://evil.example/\\_x\\_ and \\[[https://ota.example.test/i/tok3n](https://ota.example.test/i/tok3n)\\]\\(https://evil.example)", text);
        AssertFormsNoMarkdown(WithoutOwnLinks(text));
    }

    [Theory]
    [InlineData("Demo 1.4.2 (187)")]
    [InlineData("my_app_beta · uploaded 2026-11-23 · fixes: login, push")]
    [InlineData("Tom & Jerry 2.0-rc.1 #42 wins!")]
    [InlineData("1.4.2 (187) · beta")]
    [InlineData("-rc1 +build.5")]
    public void OrdinaryTextIsNotCluttered(string text) =>
        Assert.Equal(text, TeamsMarkdown.Escape(text));

    [Fact]
    public void TheSummaryIsOnePlainLine()
    {
        var message = TeamsBot.Message("a:1", new ChatReply("first\nsecond\r\tthird" + new string('x', 300), [new CoreTextBlock("x")]));

        var summary = (string)message["summary"]!;
        Assert.Equal(200, summary.Length);
        Assert.StartsWith("first second  third", summary, StringComparison.Ordinal);
        Assert.DoesNotContain(summary.ToCharArray(), char.IsControl);
    }

    /// <summary>Every string Teams renders as Markdown: TextBlocks' text, facts' titles and values.</summary>
    internal static IEnumerable<string> MarkdownTexts(JsonNode card)
    {
        foreach (var node in Walk(card).OfType<JsonObject>())
        {
            if (node["type"]?.GetValue<string>() == "TextBlock")
                yield return node["text"]!.GetValue<string>();
            if (node["type"]?.GetValue<string>() == "FactSet")
            {
                foreach (var fact in node["facts"]!.AsArray())
                {
                    yield return fact!["title"]!.GetValue<string>();
                    if (fact["value"]!.GetValue<string>() is var value && !value.StartsWith("{{DATE(", StringComparison.Ordinal))
                        yield return value;
                }
            }
        }
    }

    internal static IEnumerable<JsonNode> Walk(JsonNode? node)
    {
        if (node is null)
            yield break;
        yield return node;
        var children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a.AsEnumerable(),
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var descendant in Walk(child))
                yield return descendant;
        }
    }

    /// <summary>The bot's own links to its install pages, "[label](https://ota.example.test/…)", read as their label.</summary>
    internal static string WithoutOwnLinks(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\[(?<label>https://ota\.example\.test/[^\]]*)\]\(https://ota\.example\.test/[^)\s]*\)", "${label}");

    /// <summary>What a CommonMark reader shows for text with nothing but escapes: the backslashes and breakers gone.</summary>
    internal static string Unescape(string text)
    {
        var shown = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && char.IsAsciiLetterOrDigit(text[i + 1]) is false && text[i + 1] < 128 && !char.IsWhiteSpace(text[i + 1]))
                shown.Append(text[++i]);
            else if (text[i] != '\u200B')
                shown.Append(text[i]);
        }
        return shown.ToString();
    }

    /// <summary>
    /// Fails when escaped text still holds Markdown: an unescaped link, image, autolink, HTML or emphasis character; a
    /// "](" (which Adaptive Cards' older renderer links even after "\]"); a line starting a heading, list or quote; a
    /// date function; or an entity reference.
    /// </summary>
    internal static void AssertFormsNoMarkdown(string text)
    {
        Assert.DoesNotContain("](", text, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
                continue;
            }
            Assert.False(text[i] is '[' or ']' or '*' or '`' or '~' or '<' or '>', $"unescaped '{text[i]}' at {i} in: {text}");
            if (text[i] == '_')
                Assert.True(i > 0 && char.IsLetterOrDigit(text[i - 1]) && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]), $"unescaped '_' at {i} in: {text}");
            if (text[i] == '&')
                Assert.DoesNotMatch(@"^&#?[A-Za-z0-9]+;", text[i..]);
        }
        foreach (var line in text.Split('\n', '\r'))
            Assert.DoesNotMatch(@"^\s*([#>]|[-+*=](\s|$)|--|==|\d+[.)](\s|$))", line);
    }
}
