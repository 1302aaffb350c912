using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Links;

namespace ChatOpsBot.Features.LinkMessages;

/// <summary>Where the adapters delivered messages carrying links, one row per link and message.</summary>
internal sealed class DatabaseLinkMessages(ChatOpsBotDb db, LinkEventLog writer, TimeProvider time) : ILinkMessages
{
    public Task RememberAsync(long linkId, LinkMessage where, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(where);
        var now = time.GetUtcNow().UtcDateTime;
        // Every chat /install remembers one: committed together with concurrent mints and link events.
        return writer.AddAsync(db, new SentLinkMessage
        {
            LinkId = linkId,
            Platform = where.Platform,
            ResponseUrl = where.ResponseUrl,
            ResponseUrlExpiresAt = where.ResponseUrlExpiresAt?.UtcDateTime,
            ResponseUrlUses = where.ResponseUrlUses,
            ServiceUrl = where.ServiceUrl,
            ConversationId = where.ConversationId,
            ActivityId = where.ActivityId,
            State = LinkMessageState.Live,
            CreatedAt = now,
            UpdatedAt = now,
        }, cancellationToken);
    }
}
