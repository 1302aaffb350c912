namespace ChatOpsBot.Core.Chat;

/// <summary>
/// Where a message carrying an install link went, as much as its platform needs to update it later. Slack: the
/// command's or action's <c>response_url</c>, good for 30 minutes and 5 uses. Teams: the activity in its conversation.
/// </summary>
/// <param name="Platform">"slack" or "teams".</param>
/// <param name="ResponseUrl">Slack: the response URL that answered with the message.</param>
/// <param name="ResponseUrlExpiresAt">Slack: when the response URL stops working (30 minutes after the command).</param>
/// <param name="ResponseUrlUses">Slack: how many of the response URL's uses are already spent.</param>
/// <param name="ServiceUrl">Teams: the conversation's Connector base URL, from a validated token.</param>
/// <param name="ConversationId">Teams: the conversation the activity is in.</param>
/// <param name="ActivityId">Teams: the posted activity's id, as the Connector returned it.</param>
public sealed record LinkMessage(
    string Platform,
    string? ResponseUrl = null,
    DateTimeOffset? ResponseUrlExpiresAt = null,
    int ResponseUrlUses = 0,
    string? ServiceUrl = null,
    string? ConversationId = null,
    string? ActivityId = null);

/// <summary>Remembers the messages that carry install links; the host implements it over its database.</summary>
public interface ILinkMessages
{
    Task RememberAsync(long linkId, LinkMessage where, CancellationToken cancellationToken);
}

/// <summary>For hosts that do not update dead links' messages: remembers nothing.</summary>
public sealed class NoLinkMessages : ILinkMessages
{
    public Task RememberAsync(long linkId, LinkMessage where, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What replaces a message whose install link died.</summary>
/// <param name="Command">What to type for a new link, without the slash: "install demo beta".</param>
/// <param name="Revoked">Revoked (the link or its build) rather than expired.</param>
/// <param name="Platforms">What the link covered, as <see cref="CatalogPlatforms.NamesOf"/> says it ("iOS and Android"); null when unknown.</param>
public sealed record DeadLinkNotice(string Command, bool Revoked, string? Platforms = null)
{
    public string Headline => (Platforms is null ? "This install link" : $"This install link for {Platforms}")
        + (Revoked ? " was revoked." : " has expired.");
}

/// <summary>Updates a message whose install link died, on one platform. Best effort: one attempt, never thrown.</summary>
public interface ILinkMessageUpdater
{
    /// <summary>"slack" or "teams".</summary>
    string Platform { get; }

    /// <summary>
    /// Replaces the message with the notice, so no live-looking Install button remains. False when the platform no
    /// longer allows it (Slack's response URL lapsed or used up) or the attempt failed.
    /// </summary>
    Task<bool> MarkDeadAsync(LinkMessage where, DeadLinkNotice notice, CancellationToken cancellationToken);
}

public static class LinkMessagesExtensions
{
    /// <summary>Remembers where a reply went for each link it carries.</summary>
    public static async Task RememberAsync(this ILinkMessages messages, ChatReply reply, LinkMessage where, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(reply);
        foreach (var linkId in reply.LinkIds)
            await messages.RememberAsync(linkId, where, cancellationToken);
    }
}
