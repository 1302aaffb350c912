using System.Security.Cryptography;
using System.Text;
using ChatOpsBot.Data;
using ChatOpsBot.Slack;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Features.Chat;

internal static class SlackPersistence
{
    /// <summary>Claims Slack events in the database instead of the adapter's memory, so a retry to any replica is answered once.</summary>
    public static WebApplicationBuilder AddSlackPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Scoped<ISlackEventClaims, DatabaseSlackEventClaims>());
        return builder;
    }
}

/// <summary>A claim is a row in <c>ChatEventClaims</c>; the <c>prune-event-claims</c> job deletes it once it lapsed.</summary>
internal sealed class DatabaseSlackEventClaims(ChatOpsBotDb db, TimeProvider time) : ISlackEventClaims
{
    public const string Platform = "slack";

    /// <summary>Longer keys (no real Slack id is) are stored as their hash, which fits the column on every provider.</summary>
    internal const int MaxPlainKeyLength = 200;

    public async Task<bool> TryClaimAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = time.GetUtcNow().UtcDateTime;
        var expiresAt = now + SlackEventClaims.Lifetime;
        var stored = StoredKey(key);
        // One statement, atomic on SQLite and PostgreSQL alike: a new row, or a lapsed claim taken over (the prune job
        // may not have run yet), counts one; a live claim of another request, here or on another replica, counts none.
        var claimed = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "ChatEventClaims" ("Platform", "Key", "ExpiresAt") VALUES ({Platform}, {stored}, {expiresAt})
            ON CONFLICT ("Platform", "Key") DO UPDATE SET "ExpiresAt" = excluded."ExpiresAt"
            WHERE "ChatEventClaims"."ExpiresAt" <= {now}
            """, cancellationToken);
        return claimed == 1;
    }

    internal static string StoredKey(string key) =>
        key.Length <= MaxPlainKeyLength ? key : "sha256 " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
