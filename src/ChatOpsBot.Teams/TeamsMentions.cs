using System.Net;
using System.Text.RegularExpressions;

namespace ChatOpsBot.Teams;

/// <summary>Turns a Teams message's text into what the person typed to the bot.</summary>
internal static partial class TeamsMentions
{
    /// <summary>
    /// "&lt;at&gt;ChatOpsBot&lt;/at&gt; install demo&amp;nbsp;beta" → "install demo beta": the bot's own mentions (the
    /// mention entities whose id is the recipient; by name when there are no mention entities) are removed, other mentions keep their
    /// name, markup is dropped and entities decoded. Teams sometimes omits the space after <c>&lt;/at&gt;</c>.
    /// </summary>
    public static string CommandText(Activity activity)
    {
        var text = activity.Text ?? "";
        var botId = activity.Recipient?.Id;
        var mentions = (activity.Entities ?? []).Where(e => e is { Type: "mention", Text.Length: > 0 }).ToList();
        foreach (var mention in mentions)
        {
            if (botId is not null && string.Equals(mention.Mentioned?.Id, botId, StringComparison.OrdinalIgnoreCase))
                text = text.Replace(mention.Text!, " ", StringComparison.Ordinal);
        }
        if (mentions.Count == 0 && activity.Recipient?.Name is { Length: > 0 } name)
            text = text.Replace($"<at>{name}</at>", " ", StringComparison.OrdinalIgnoreCase);
        text = AtTag().Replace(text, m => $" {m.Groups["name"].Value} ");
        text = AnyTag().Replace(text, " ");
        text = WebUtility.HtmlDecode(text).Replace('\u00A0', ' ');
        return Spaces().Replace(text, " ").Trim();
    }

    [GeneratedRegex(@"<at>(?<name>.*?)</at>", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AtTag();

    // A literal "<" typed by a person arrives as "&lt;", so whatever looks like a tag here is markup.
    [GeneratedRegex(@"</?[a-zA-Z][^<>]*>", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Spaces();
}
