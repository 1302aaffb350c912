using ChatOpsBot.Data;
using ChatOpsBot.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Features.Chat;

internal static class TeamsPersistence
{
    /// <summary>
    /// Keeps the Teams conversations and the trusted service URLs in the database instead of the adapter's in-memory
    /// defaults, so every replica greets once and sends only where a validated token vouched, whichever replica saw it.
    /// </summary>
    public static WebApplicationBuilder AddTeamsPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Scoped<ITeamsConversationStore, DatabaseTeamsConversationStore>());
        builder.Services.Replace(ServiceDescriptor.Scoped<ITrustedServiceUrlStore, DatabaseTrustedServiceUrls>());
        return builder;
    }
}

/// <summary>The remembered Teams conversations survive restarts, so the bot greets once and can announce after one.</summary>
internal sealed class DatabaseTeamsConversationStore(ChatOpsBotDb db, TimeProvider time) : ITeamsConversationStore
{
    public async Task<bool> TryAddAsync(TeamsConversationReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        // Every message asks; a read answers all but the first without a write.
        if (await db.TeamsConversations.AnyAsync(c => c.ConversationId == reference.ConversationId, cancellationToken))
            return false;
        // Teams tells of one installation twice at once (conversationUpdate and installationUpdate), perhaps to two
        // replicas: the unique index lets one insert through, and that one greets.
        var createdAt = time.GetUtcNow().UtcDateTime;
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "TeamsConversations" ("ConversationId", "ServiceUrl", "TenantId", "BotId", "ConversationType", "Name", "CreatedAt")
            VALUES ({reference.ConversationId}, {reference.ServiceUrl}, {reference.TenantId}, {reference.BotId}, {reference.ConversationType}, {reference.Name}, {createdAt})
            ON CONFLICT ("ConversationId") DO NOTHING
            """, cancellationToken);
        return inserted == 1;
    }
}

/// <summary>The service URLs validated tokens vouched for, shared by every replica and kept across restarts.</summary>
internal sealed partial class DatabaseTrustedServiceUrls(ChatOpsBotDb db, TimeProvider time, ILogger<DatabaseTrustedServiceUrls> logger) : ITrustedServiceUrlStore
{
    public async Task AddAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (await ContainsAsync(key, cancellationToken))
            return;
        var trustedAt = time.GetUtcNow().UtcDateTime;
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "TeamsServiceUrls" ("Url", "TrustedAt") VALUES ({key}, {trustedAt})
            ON CONFLICT ("Url") DO NOTHING
            """, cancellationToken);
        if (inserted == 1)
            LogTrusted(key);
    }

    public Task<bool> ContainsAsync(string key, CancellationToken cancellationToken) =>
        db.TeamsServiceUrls.AnyAsync(u => u.Url == key, cancellationToken);

    [LoggerMessage(EventId = 5731, Level = LogLevel.Information, Message = "Trusting the Teams service URL {ServiceUrl}: it arrived in a validated token")]
    private partial void LogTrusted(string serviceUrl);
}
