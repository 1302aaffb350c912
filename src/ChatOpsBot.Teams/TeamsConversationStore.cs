using System.Collections.Concurrent;

namespace ChatOpsBot.Teams;

/// <summary>Where a proactive message to a Teams conversation goes (what <c>conversationUpdate</c> and <c>installationUpdate</c> tell).</summary>
/// <param name="ServiceUrl">The conversation's regional Connector, as vouched for by a validated token.</param>
/// <param name="ConversationId">Teams' conversation id (a:…, 19:…@thread…).</param>
/// <param name="TenantId">The Entra tenant the conversation belongs to.</param>
/// <param name="BotId">The bot's id in the conversation (28:…).</param>
/// <param name="ConversationType">personal, groupChat or channel.</param>
/// <param name="Name">The team's or chat's name when Teams tells it.</param>
public sealed record TeamsConversationReference(string ServiceUrl, string ConversationId, string TenantId, string BotId, string? ConversationType, string? Name);

/// <summary>Remembers the conversations the bot was added to. The host replaces the in-memory default with its database.</summary>
public interface ITeamsConversationStore
{
    /// <summary>Stores the reference unless the conversation is already known; true when it was new.</summary>
    Task<bool> TryAddAsync(TeamsConversationReference reference, CancellationToken cancellationToken);
}

/// <summary>Lost on restart; for a single process and for tests.</summary>
internal sealed class InMemoryTeamsConversationStore : ITeamsConversationStore
{
    private readonly ConcurrentDictionary<string, TeamsConversationReference> _conversations = new(StringComparer.Ordinal);

    public IReadOnlyCollection<TeamsConversationReference> All => [.. _conversations.Values];

    public Task<bool> TryAddAsync(TeamsConversationReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Task.FromResult(_conversations.TryAdd(reference.ConversationId, reference));
    }
}
