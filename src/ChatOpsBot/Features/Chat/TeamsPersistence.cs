using ChatOpsBot.Data;
using ChatOpsBot.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Features.Chat;

internal static class TeamsPersistence
{
    /// <summary>Keeps the Teams conversations in the database instead of the adapter's in-memory default.</summary>
    public static WebApplicationBuilder AddTeamsPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Scoped<ITeamsConversationStore, DatabaseTeamsConversationStore>());
        return builder;
    }
}

/// <summary>The remembered Teams conversations survive restarts, so the bot greets once and can announce after one.</summary>
internal sealed class DatabaseTeamsConversationStore(ChatOpsBotDb db, TimeProvider time) : ITeamsConversationStore
{
    public async Task<bool> TryAddAsync(TeamsConversationReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (await db.TeamsConversations.AnyAsync(c => c.ConversationId == reference.ConversationId, cancellationToken))
            return false;
        var entry = db.TeamsConversations.Add(new TeamsConversation
        {
            ConversationId = reference.ConversationId,
            ServiceUrl = reference.ServiceUrl,
            TenantId = reference.TenantId,
            BotId = reference.BotId,
            ConversationType = reference.ConversationType,
            Name = reference.Name,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another request remembered it first; the unique index kept theirs.
            entry.State = EntityState.Detached;
            return false;
        }
    }

    public async Task<IReadOnlyList<TeamsConversationReference>> ListAsync(CancellationToken cancellationToken) =>
        await db.TeamsConversations.AsNoTracking().OrderBy(c => c.Id)
            .Select(c => new TeamsConversationReference(c.ServiceUrl, c.ConversationId, c.TenantId, c.BotId, c.ConversationType, c.Name))
            .ToListAsync(cancellationToken);
}
