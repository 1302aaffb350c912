using System.Net;
using System.Security.Cryptography;
using System.Text;
using ChatOpsBot.Data;
using ChatOpsBot.Features.ApiKeys;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Web;

/// <summary>
/// The first run: while no administrator is configured and set-up has not been done, a one-time set-up address
/// (<c>{PublicBaseUrl}/setup/{code}</c>) that signs its visitor in as an administrator. The code is 128 random bits,
/// only its SHA-256 is stored, and it works once, for <see cref="CodeLifetime"/>. Replicas share the one row: the host
/// that made the code logs the address; the others say where it is.
/// </summary>
internal sealed partial class FirstRun(
    IServiceScopeFactory scopes,
    ApiKeyRing keys,
    IOptions<WebOptions> web,
    IOptions<ChatOpsBotOptions> options,
    TimeProvider time,
    ILogger<FirstRun> logger)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromHours(24);

    /// <summary>The identity a used set-up address signs in.</summary>
    public static readonly ConsoleIdentity SetupAdmin = new("web", null, "setup", "setup", ConsoleRole.Admin);

    /// <summary>
    /// Before the host starts: the Data Protection key ring is given its first key (one host at a time on PostgreSQL,
    /// so replicas starting together do not each make one), then the set-up address is issued if it is needed.
    /// </summary>
    public async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using (options.Value.Database.Provider == DatabaseProvider.Postgres
            ? await PostgresSchemaLock.AcquireAsync(services.GetRequiredService<PostgresLockConnections>(), cancellationToken)
            : null)
        {
            var keyManager = services.GetRequiredService<IKeyManager>();
            var now = time.GetUtcNow();
            if (!keyManager.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now.AddDays(2)))
                keyManager.CreateNewKey(now, now.AddDays(90));
        }
        await IssueAsync(cancellationToken);
    }

    /// <summary>Whether an administrator can sign in another way: an Admin key (configuration or database) or <c>Web:Admins</c>.</summary>
    public async Task<bool> AdminConfiguredAsync(ChatOpsBotDb db, CancellationToken cancellationToken) =>
        keys.HasConfiguredAdmin || web.Value.Admins.Count > 0
        || await db.ApiKeys.AnyAsync(k => k.Role == ApiRole.Admin && k.RevokedAt == null, cancellationToken);

    /// <summary>Whether a set-up address is waiting to be used: what the welcome page tells an anonymous visitor.</summary>
    public async Task<bool> AwaitingSetupAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var now = time.GetUtcNow().UtcDateTime;
        return await db.SetupCodes.AnyAsync(c => c.UsedAt == null && c.ExpiresAt > now, cancellationToken)
            && !await AdminConfiguredAsync(db, cancellationToken);
    }

    private async Task IssueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        if (await AdminConfiguredAsync(db, cancellationToken))
            return;
        var now = time.GetUtcNow().UtcDateTime;
        var existing = await db.SetupCodes.AsNoTracking().SingleOrDefaultAsync(c => c.Id == SetupCode.TheOne, cancellationToken);
        if (existing is { UsedAt: { } used })
        {
            LogSetupDone(used);
            return;
        }
        if (existing is not null && existing.ExpiresAt > now)
        {
            LogSetupPending(existing.CreatedAt, existing.ExpiresAt);
            return;
        }

        var code = Base64Url(RandomNumberGenerator.GetBytes(16));
        var hash = HashOf(code);
        var expires = now + CodeLifetime;
        if (existing is null)
        {
            db.SetupCodes.Add(new SetupCode { CodeHash = hash, CreatedAt = now, ExpiresAt = expires });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another replica made the row first: its log has the address.
                await IssuedElsewhereAsync(db, cancellationToken);
                return;
            }
        }
        else if (await db.SetupCodes
                     .Where(c => c.Id == SetupCode.TheOne && c.CodeHash == existing.CodeHash && c.UsedAt == null)
                     .ExecuteUpdateAsync(s => s.SetProperty(c => c.CodeHash, hash).SetProperty(c => c.CreatedAt, now).SetProperty(c => c.ExpiresAt, expires), cancellationToken) == 0)
        {
            // Another replica replaced the expired code first (or it was used meanwhile).
            await IssuedElsewhereAsync(db, cancellationToken);
            return;
        }
        var address = options.Value.PublicBaseUrl.TrimEnd('/') + "/setup/" + code;
        LogSetupAddress(address, expires);
    }

    private async Task IssuedElsewhereAsync(ChatOpsBotDb db, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        if (await db.SetupCodes.AsNoTracking().SingleOrDefaultAsync(c => c.Id == SetupCode.TheOne, cancellationToken) is { UsedAt: null } row)
            LogSetupPending(row.CreatedAt, row.ExpiresAt);
    }

    /// <summary>Uses the code: true once for a valid code, false for an unknown, expired or already used one.</summary>
    public async Task<bool> RedeemAsync(string? code, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 64)
            return false;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
        var hash = HashOf(code);
        var now = time.GetUtcNow().UtcDateTime;
        // One statement decides: two visitors (or one form posted twice) cannot both use it.
        var used = await db.SetupCodes
            .Where(c => c.Id == SetupCode.TheOne && c.CodeHash == hash && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), cancellationToken) == 1;
        if (used)
            LogSetupUsed();
        return used;
    }

    /// <summary>
    /// The set-up address is for a browser on https, or on this very machine: every request takes the public origin's
    /// scheme (see HttpApi), so over http — which PublicBaseUrl allows for loopback origins only — the visitor's
    /// address must be loopback too. That address is the client's as the trusted proxies report it, so a proxy on
    /// this machine forwarding someone else does not count as loopback.
    /// </summary>
    public bool MayServe(HttpContext http) =>
        Uri.TryCreate(options.Value.PublicBaseUrl, UriKind.Absolute, out var origin)
        && (origin.Scheme == Uri.UriSchemeHttps
            || (PublicBaseUrl.IsLoopback(origin) && http.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)));

    public static string HashOf(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(EventId = 6700, Level = LogLevel.Information, Message = "No administrator is configured yet: open {SetupAddress} to set ChatOpsBot up (works once, until {ExpiresAt:u})")]
    private partial void LogSetupAddress(string setupAddress, DateTime expiresAt);

    [LoggerMessage(EventId = 6701, Level = LogLevel.Information, Message = "No administrator is configured yet: the one-time set-up address issued at {IssuedAt:u} is in the log of the host that started then; it works until {ExpiresAt:u}, and a start after that issues a new one (or configure an Admin key in ChatOpsBot:ApiKeys)")]
    private partial void LogSetupPending(DateTime issuedAt, DateTime expiresAt);

    [LoggerMessage(EventId = 6702, Level = LogLevel.Information, Message = "The one-time set-up address was used at {UsedAt:u}; to get in without an administrator, configure an Admin key in ChatOpsBot:ApiKeys")]
    private partial void LogSetupDone(DateTime usedAt);

    [LoggerMessage(EventId = 6703, Level = LogLevel.Information, Message = "The one-time set-up address was used: its visitor is signed in as an administrator")]
    private partial void LogSetupUsed();
}

internal static class FirstRunRegistration
{
    /// <summary>The policy of the Hangfire dashboard: an Admin API key, or an Admin's console session.</summary>
    public const string Dashboard = "HangfireDashboard";

    private const string KeyOrSession = "ApiKeyOrConsole";

    public static WebApplicationBuilder AddFirstRun(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FirstRun>();
        builder.Services.AddScoped<ApiKeyStore>();
        builder.Services.AddScoped<SampleBuild>();
        builder.Services.AddSingleton<ChatAppManifests>();

        // Session and antiforgery cookies are Data Protection payloads: keys every replica shares and that outlive a
        // restart. PostgreSQL keeps them in the database; SQLite (one host, or replicas sharing the data directory)
        // in DataDirectory/keys.
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("ChatOpsBot");
        if (builder.Configuration.GetValue($"{ChatOpsBotOptions.Section}:Database:Provider", DatabaseProvider.Sqlite) == DatabaseProvider.Postgres)
            dataProtection.PersistKeysToDbContext<ChatOpsBotDb>();
        else
            builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<ChatOpsBotOptions>, ILoggerFactory>((keyManagement, options, loggers) =>
                keyManagement.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(options.Value.DataPath, "keys")), loggers));

        // The dashboard takes an Admin API key as before, or the console cookie of an Admin.
        builder.Services.AddAuthentication().AddPolicyScheme(KeyOrSession, null, scheme => scheme.ForwardDefaultSelector = http =>
            http.Request.Headers.Authorization.Count == 0 && http.Request.Cookies.ContainsKey(ConsoleAuthentication.CookieName)
                ? ConsoleAuthentication.Scheme
                : ApiKeyAuthentication.Scheme);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Dashboard, p => p.AddAuthenticationSchemes(KeyOrSession).RequireRole(nameof(ApiRole.Admin)));
        return builder;
    }
}
