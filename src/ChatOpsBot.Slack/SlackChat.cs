using System.Text.RegularExpressions;
using ChatOpsBot.Core.Chat;

namespace ChatOpsBot.Slack;

/// <summary>Translates Slack's identities and texts into the platform-neutral chat model.</summary>
internal static partial class SlackChat
{
    public const string Platform = "slack";

    public static ChatUser User(SlackOptions options, string? teamId, string userId, string? userName) =>
        new(Platform, teamId, userId, string.IsNullOrWhiteSpace(userName) ? userId : userName, options.IsReleaseManager(userId));

    /// <summary>
    /// The channel, private channel or DM a command came from, for subscriptions. Slash commands name the channel
    /// ("general"), or say "directmessage" / "privategroup" where there is no name to show.
    /// </summary>
    public static ConversationAddress? Conversation(string? teamId, string? channelId, string? channelName) =>
        channelId is { Length: > 0 }
            ? new ConversationAddress(Platform, teamId, channelId,
                Name: channelName is { Length: > 0 } and not ("directmessage" or "privategroup") ? "#" + channelName : null)
            : null;

    /// <summary><c>/install myapp beta</c> arrives as command <c>/install</c>, text <c>myapp beta</c>: the engine wants "install myapp beta".</summary>
    public static string CommandText(string command, string? text)
    {
        var verb = command.TrimStart('/');
        var rest = SlackPayloads.Unescape(text ?? "").Trim();
        return rest.Length == 0 ? verb : verb + " " + rest;
    }

    /// <summary>"&lt;@U0BOT&gt; install myapp beta" → "install myapp beta". Without the bot's id, the first mention is the bot.</summary>
    public static string MentionText(string? text, string? botUserId)
    {
        var typed = text ?? "";
        typed = botUserId is { Length: > 0 }
            ? Mention().Replace(typed, m => m.Groups["id"].Value == botUserId ? " " : m.Value)
            : Mention().Replace(typed, " ", 1);
        return SlackPayloads.Unescape(Spaces().Replace(typed, " ").Trim());
    }

    public static string DirectMessageText(string? text) => SlackPayloads.Unescape((text ?? "").Trim());

    [GeneratedRegex(@"<@(?<id>[A-Z0-9]+)(\|[^>]*)?>", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Mention();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Spaces();
}
