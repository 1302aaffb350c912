using System.Text;

namespace ChatOpsBot.Teams;

/// <summary>
/// Plain text into the Markdown of Adaptive Card TextBlocks and facts, so what a build's metadata or a person typed
/// shows as typed and never becomes a link, emphasis, a heading, a list, a quote or a date function. Every text a card
/// renders as Markdown goes through <see cref="Escape(string)"/>; Core's texts are plain by contract, so all of them are escaped.
/// </summary>
/// <remarks>
/// CommonMark backslash escapes are what Teams' clients honour, with one gap: renderers that ignore them still need
/// "](" to form a link, and here a "(" after a "]" is escaped too, so no renderer sees a link. Bare URLs stay
/// as they are: a client may make them clickable, but the reader sees the address it opens, which is not the disguised
/// link this prevents; breaking them with invisible characters would also break them for people who copy them.
/// </remarks>
internal static class TeamsMarkdown
{
    // Zero-width space: breaks "{{" (Teams' DATE and TIME functions, applied before Markdown) without showing.
    private const char Breaker = '\u200B';

    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(text.Length + 16);
        var lineStart = true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\r')
            {
                escaped.Append(c);
                lineStart = true;
                continue;
            }
            if (lineStart)
            {
                if (c is ' ' or '\t')
                {
                    escaped.Append(c);
                    continue;
                }
                lineStart = false;
                // Headings, bullets, thematic breaks and setext underlines begin a line: "# ", "- ", "---", "===".
                if (c is '#' or '-' or '+' or '=' && (EndsMarker(text, i + 1) || text[i + 1] == c))
                {
                    escaped.Append('\\').Append(c);
                    continue;
                }
                // Ordered lists: "1. " or "1) ".
                if (char.IsAsciiDigit(c))
                {
                    var end = i;
                    while (end < text.Length && char.IsAsciiDigit(text[end]))
                        end++;
                    escaped.Append(text, i, end - i);
                    if (end < text.Length && text[end] is '.' or ')' && EndsMarker(text, end + 1))
                        escaped.Append('\\').Append(text[end++]);
                    i = end - 1;
                    continue;
                }
            }
            switch (c)
            {
                case '\\' or '*' or '`' or '~' or '[' or ']' or '<' or '>':
                    escaped.Append('\\').Append(c);
                    break;
                // Renderers that ignore backslash escapes still need "](" for a link: a backslash stands between.
                case '(' when i > 0 && text[i - 1] == ']':
                    escaped.Append("\\(");
                    break;
                // Intraword underscores never make emphasis, so snake_case names and link tokens stay readable.
                case '_' when !(i > 0 && char.IsLetterOrDigit(text[i - 1]) && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1])):
                    escaped.Append("\\_");
                    break;
                // "&amp;" would show as "&": only what could be an entity reference is escaped.
                case '&' when IsEntityLike(text, i):
                    escaped.Append("\\&");
                    break;
                case '{' when i + 1 < text.Length && text[i + 1] == '{':
                    escaped.Append('{').Append(Breaker);
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }
        return escaped.ToString();
    }

    private static bool EndsMarker(string text, int at) => at >= text.Length || text[at] is ' ' or '\t' or '\n' or '\r';

    /// <summary>
    /// <paramref name="text"/> escaped, except that each of the bot's own web addresses in it becomes a Markdown link
    /// to itself, so an install address stays exactly right (its token may hold "_" and "-") and clickable.
    /// </summary>
    public static string Escape(string text, IReadOnlyCollection<string> ownUrls)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ownUrls);
        if (ownUrls.Count == 0)
            return Escape(text);
        var result = new StringBuilder(text.Length + 64);
        var from = 0;
        while (from < text.Length)
        {
            var (at, url) = NextUrl(text, from, ownUrls);
            if (url is null)
                break;
            // "!" right before the link would make it an image.
            var before = at > from && text[at - 1] == '!' ? Escape(text[from..(at - 1)]) + "\\!" : Escape(text[from..at]);
            result.Append(before).Append('[').Append(Escape(url)).Append("](").Append(url).Append(')');
            from = at + url.Length;
        }
        return result.Append(Escape(text[from..])).ToString();
    }

    /// <summary>A plain-text field (an activity's summary, a notification): one line, no control characters.</summary>
    public static string PlainLine(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = new StringBuilder(Math.Min(text.Length, maxLength));
        foreach (var c in text)
        {
            if (line.Length == maxLength)
                break;
            line.Append(char.IsControl(c) ? ' ' : c);
        }
        return line.ToString();
    }

    private static (int At, string? Url) NextUrl(string text, int from, IReadOnlyCollection<string> urls)
    {
        var best = (At: -1, Url: (string?)null);
        foreach (var url in urls)
        {
            if (url.Length == 0 || !IsLinkable(url))
                continue;
            var at = text.IndexOf(url, from, StringComparison.Ordinal);
            if (at >= 0 && (best.At < 0 || at < best.At || (at == best.At && url.Length > best.Url!.Length)))
                best = (at, url);
        }
        return best;
    }

    // A Markdown link destination without angle brackets cannot hold spaces, controls or parentheses.
    private static bool IsLinkable(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && !url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '(' or ')' or '<' or '>' or '\\');

    private static bool IsEntityLike(string text, int at)
    {
        var i = at + 1;
        if (i < text.Length && text[i] == '#')
            i++;
        var start = i;
        while (i < text.Length && char.IsAsciiLetterOrDigit(text[i]))
            i++;
        return i > start && i < text.Length && text[i] == ';';
    }
}
