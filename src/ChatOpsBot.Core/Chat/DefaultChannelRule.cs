namespace ChatOpsBot.Core.Chat;

/// <summary>
/// The channel meant when someone asks for an app without naming one, in chat ("install falcon", "subscribe falcon")
/// and through the API (<c>POST /api/v1/apps/falcon/links</c> without a channel): the app's default channel while it
/// has an active build, else the channel with the newest upload, so a default channel whose builds were all revoked
/// does not hide the others.
/// </summary>
public static class DefaultChannelRule
{
    /// <summary>The channel to use, or null when the app has no active build in any channel.</summary>
    /// <param name="defaultChannel">The app's default channel, if it has one.</param>
    /// <param name="activeChannels">The app's channels that have an active build.</param>
    public static string? Choose(string? defaultChannel, IEnumerable<CatalogChannel> activeChannels)
    {
        ArgumentNullException.ThrowIfNull(activeChannels);
        var channels = activeChannels.ToList();
        if (defaultChannel is not null && channels.Exists(c => c.Name == defaultChannel))
            return defaultChannel;
        return channels.OrderByDescending(c => c.LatestUploadAt).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault()?.Name;
    }
}
