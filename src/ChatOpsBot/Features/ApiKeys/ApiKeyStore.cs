using System.Security.Cryptography;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;

namespace ChatOpsBot.Features.ApiKeys;

/// <summary>One API key as the console lists it: never the key, only its name, role and a short prefix of its hash.</summary>
internal sealed record ApiKeyListing(long? Id, string Name, ApiRole Role, string Source, string HashPrefix, DateTime? CreatedAt, string? CreatedBy, DateTime? RevokedAt);

/// <summary>A key just made (<see cref="Key"/> is shown once), or the sentence that says why none was.</summary>
internal sealed record ApiKeyCreation(string? Key, string? Name, ApiRole? Role, string? Problem);

/// <summary>API keys in the database: made on the console, shown once, stored as SHA-256, revoked for good.</summary>
internal sealed partial class ApiKeyStore(ChatOpsBotDb db, ApiKeyRing ring, TimeProvider time, ILogger<ApiKeyStore> logger)
{
    public const int MaxNameLength = 64;

    public const string Configuration = "configuration";
    public const string Database = "database";

    public async Task<List<ApiKeyListing>> ListAsync(CancellationToken cancellationToken)
    {
        var stored = await db.ApiKeys.AsNoTracking().OrderBy(k => k.RevokedAt != null).ThenBy(k => k.Name).ToListAsync(cancellationToken);
        return
        [
            .. ring.Configured.Select(k => new ApiKeyListing(null, k.Name, k.Role, Configuration, k.Hash[..8], null, null, null)),
            .. stored.Select(k => new ApiKeyListing(k.Id, k.Name, k.Role, Database, k.KeyHash[..8], k.CreatedAt, k.CreatedBy, k.RevokedAt)),
        ];
    }

    public Task<StoredApiKey?> FindAsync(long id, CancellationToken cancellationToken) =>
        db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);

    /// <summary>Makes a key named <paramref name="name"/> with the role <paramref name="role"/> (as typed in a form).</summary>
    public async Task<ApiKeyCreation> CreateAsync(string? name, string? role, string createdBy, CancellationToken cancellationToken)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
            return Problem("Give the key a name, such as the CI system that will use it (for example \"ci\").");
        if (name.Length > MaxNameLength || name.Any(char.IsControl))
            return Problem($"A key's name is at most {MaxNameLength} characters, without control characters.");
        // Only the three names: Enum.TryParse would also take "1" or "Admin, Uploader".
        if (Enum.GetNames<ApiRole>().SingleOrDefault(r => string.Equals(r, role?.Trim(), StringComparison.OrdinalIgnoreCase)) is not { } roleName)
            return Problem("Choose the key's role: Uploader, ReleaseManager or Admin.");
        var parsed = Enum.Parse<ApiRole>(roleName);
        if (ring.Configured.Any(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)))
            return Problem($"ChatOpsBot:ApiKeys already has a key named \"{name}\": choose another name.");
        if (await db.ApiKeys.AnyAsync(k => k.Name == name && k.RevokedAt == null, cancellationToken))
            return Problem($"There is already a key named \"{name}\" (a form sent twice makes one key): choose another name, or revoke that key first.");

        var key = "cob_" + Web.FirstRun.Base64Url(RandomNumberGenerator.GetBytes(32));
        db.ApiKeys.Add(new StoredApiKey
        {
            Name = name,
            Role = parsed,
            KeyHash = ApiKeyRing.HashOf(key),
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same form at the same moment on another replica: the unique index on live names decided.
            db.ChangeTracker.Clear();
            return Problem($"There is already a key named \"{name}\": choose another name.");
        }
        LogKeyCreated(name, parsed, createdBy);
        return new ApiKeyCreation(key, name, parsed, null);
    }

    /// <summary>Revokes the key; false when there is no such key or it was revoked already (nothing changes then).</summary>
    public async Task<bool> RevokeAsync(long id, string revokedBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now).SetProperty(k => k.RevokedBy, revokedBy), cancellationToken) == 1;
        if (revoked)
            LogKeyRevoked(id, revokedBy);
        return revoked;
    }

    private static ApiKeyCreation Problem(string sentence) => new(null, null, null, sentence);

    [LoggerMessage(EventId = 6710, Level = LogLevel.Information, Message = "API key {Name} ({Role}) created by {CreatedBy}")]
    private partial void LogKeyCreated(string name, ApiRole role, string createdBy);

    [LoggerMessage(EventId = 6711, Level = LogLevel.Information, Message = "API key {Id} revoked by {RevokedBy}")]
    private partial void LogKeyRevoked(long id, string revokedBy);
}
