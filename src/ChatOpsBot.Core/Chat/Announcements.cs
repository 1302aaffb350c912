namespace ChatOpsBot.Core.Chat;

/// <summary>
/// Subscriptions and announcements as the chat engine sees them; the host implements it over its database and
/// delivers through each platform's <see cref="IConversationMessenger"/>.
/// </summary>
public interface IAnnouncements
{
    /// <summary>Subscribes the conversation to an app's channel; false when it already was.</summary>
    Task<bool> SubscribeAsync(string appSlug, string channel, ConversationAddress conversation, ChatUser user, CancellationToken cancellationToken);

    /// <summary>Ends a subscription; false when there was none.</summary>
    Task<bool> UnsubscribeAsync(string appSlug, string channel, ConversationAddress conversation, CancellationToken cancellationToken);

    Task<IReadOnlyList<CatalogSubscription>> ListSubscriptionsAsync(ConversationAddress conversation, CancellationToken cancellationToken);

    /// <summary>
    /// Records the announcement of an active build with one delivery per subscribed conversation, then starts the
    /// deliveries. Returns the announcement's id and how many conversations it goes to.
    /// </summary>
    Task<AnnouncementStarted> AnnounceAsync(long buildId, ChatUser announcer, CancellationToken cancellationToken);

    Task<AnnouncementStatus?> GetAnnouncementAsync(long announcementId, CancellationToken cancellationToken);
}

/// <summary>Posts a message to a conversation the bot is in, without anyone having asked (a proactive message).</summary>
/// <remarks>Slack: chat.postMessage; Teams: a proactive activity through the Bot Connector.</remarks>
public interface IConversationMessenger
{
    /// <summary>The platform whose conversations this messenger reaches: "slack" or "teams".</summary>
    string Platform { get; }

    /// <summary>
    /// Posts once. Answers <see cref="DeliveryResult.Retry"/> on rate limits, 5xx and network errors (the caller
    /// retries later, durably) and <see cref="DeliveryResult.Failed"/> when retrying cannot help (the bot was
    /// removed, the channel archived). Never retries a post itself beyond what one call needs.
    /// </summary>
    Task<DeliveryResult> PostAsync(ConversationAddress conversation, ChatReply message, CancellationToken cancellationToken);
}

/// <summary>What one post to a conversation came to.</summary>
public abstract record DeliveryResult
{
    private DeliveryResult()
    {
    }

    /// <summary>The platform accepted the message.</summary>
    /// <param name="MessageId">Slack's ts or Teams' activity id, for updating the message later.</param>
    public sealed record Delivered(string? MessageId = null) : DeliveryResult;

    /// <summary>Worth trying again: 429, 5xx, a timeout.</summary>
    /// <param name="RetryAfter">The platform's Retry-After, when it gave one; the next attempt waits at least this long.</param>
    /// <param name="Error">What happened, for the announcer: "429 Too Many Requests".</param>
    public sealed record Retry(TimeSpan? RetryAfter, string Error) : DeliveryResult;

    /// <summary>Trying again cannot help: the bot was removed, the conversation is gone, a permission is missing.</summary>
    public sealed record Failed(string Error) : DeliveryResult;
}

/// <summary>The state of one target of an announcement.</summary>
public enum DeliveryState
{
    /// <summary>Waiting for its first or next attempt.</summary>
    Pending,

    /// <summary>Claimed by a delivery job that is posting it now.</summary>
    Sending,

    Delivered,

    /// <summary>Failed for good; the error says why.</summary>
    Failed,
}

/// <summary>An app's channel a conversation is subscribed to.</summary>
public sealed record CatalogSubscription(string AppSlug, string AppName, string Channel);

public sealed record AnnouncementStarted(long Id, int Conversations);

public sealed record AnnouncementStatus(long Id, CatalogBuild Build, string AnnouncedBy, DateTimeOffset CreatedAt, IReadOnlyList<AnnouncementTarget> Targets);

public sealed record AnnouncementTarget(ConversationAddress Conversation, DeliveryState State, int Attempts, string? LastError, DateTimeOffset? DeliveredAt);

/// <summary>
/// Direct messages to one person on one platform, without them having asked just now: the release managers told of a
/// device request, a person told that a build they can install is there.
/// </summary>
/// <remarks>Slack: chat.postMessage to the user id (the app's DM); Teams: the 1:1 chat, created through the Bot Connector.</remarks>
public interface IDirectMessenger
{
    /// <summary>"slack" or "teams".</summary>
    string Platform { get; }

    /// <summary>The user ids of the platform's configured release managers.</summary>
    IReadOnlyList<string> ReleaseManagers { get; }

    /// <summary>Posts once; the same outcomes as <see cref="IConversationMessenger.PostAsync"/>.</summary>
    Task<DeliveryResult> SendAsync(DirectRecipient recipient, ChatReply message, CancellationToken cancellationToken);
}

/// <summary>One person to message directly.</summary>
/// <param name="Workspace">Slack team id or Teams tenant id.</param>
/// <param name="UserId">Slack user id or Teams AAD object id.</param>
/// <param name="ServiceUrl">Teams: the Connector base URL to reach the person's tenant through, from a validated token.</param>
public sealed record DirectRecipient(string? Workspace, string UserId, string? ServiceUrl = null);
