using System.ComponentModel.DataAnnotations;

namespace ChatOpsBot;

internal sealed class ChatOpsBotOptions
{
    public const string Section = "ChatOpsBot";

    /// <summary>The https origin people and iOS reach; every generated URL starts with it.</summary>
    [Required]
    public string PublicBaseUrl { get; set; } = "";

    [Required]
    public string DataDirectory { get; set; } = "data";

    public LinkOptions Links { get; set; } = new();

    public InstallOptions Install { get; set; } = new();

    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    public JobOptions Jobs { get; set; } = new();

    public DatabaseOptions Database { get; set; } = new();

    public UploadOptions Uploads { get; set; } = new();

    public Features.Builds.ArtifactOptions Artifacts { get; set; } = new();
    public DeliveryOptions Delivery { get; set; } = new();

    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>The data directory as an absolute path; relative paths are taken from the working directory.</summary>
    public string DataPath => Path.GetFullPath(DataDirectory);
}

internal sealed class LinkOptions
{
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after expiry a download that began in time may still resume with Range requests.</summary>
    public TimeSpan DownloadGrace { get; set; } = TimeSpan.FromHours(2);
}

internal sealed class InstallOptions
{
    /// <summary>Requests per window on /i/ for one link from one client address; 0 turns every /i/ limit off.</summary>
    [Range(0, int.MaxValue)]
    public int RequestsPerWindow { get; set; } = 300;

    /// <summary>
    /// Requests per window on /i/ with tokens that match no link, per client address: a budget of their own, so a
    /// flood of made-up tokens never uses up what real links may spend.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int UnknownTokenRequestsPerWindow { get; set; } = 30;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The reverse proxies whose X-Forwarded-For names the client. Only the client address is taken from them: generated
/// URLs come from ChatOpsBot:PublicBaseUrl alone, whatever the Host and X-Forwarded-Host/Proto say.
/// </summary>
internal sealed class ForwardedHeadersSettings
{
    /// <summary>IP addresses of trusted proxies, such as 127.0.0.1 for a proxy on the same machine.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, such as 10.0.0.0/24.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

internal sealed class RetentionOptions
{
    [Range(1, int.MaxValue)]
    public int KeepBuildsPerChannel { get; set; } = 20;

    public TimeSpan MinAge { get; set; } = TimeSpan.FromDays(7);
}

internal sealed class JobOptions
{
    /// <summary>Run the background job server in this process.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Serve the Hangfire dashboard at /hangfire to Admin API-key holders.</summary>
    public bool Dashboard { get; set; } = true;
}

internal enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

internal sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// SQLite: empty means the file <c>chatopsbot.db</c> in the data directory. PostgreSQL: required, in Npgsql's
    /// syntax (<c>Host=…;Database=…;Username=…;Password=…</c>).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Apply pending schema migrations when the host starts. Off, the host refuses to start on a database that is
    /// behind it, and <c>dotnet ChatOpsBot.dll migrate</c> is the deploy step that upgrades it.
    /// </summary>
    public bool MigrateAtStart { get; set; } = true;
}

internal sealed class UploadOptions
{
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}

internal sealed class ApiKeyOptions
{
    public string? Name { get; set; }

    public string? Key { get; set; }

    /// <summary>Lowercase hex SHA-256 of the key, so the key itself need not sit in configuration.</summary>
    public string? KeyHash { get; set; }

    public ApiRole? Role { get; set; }
}

internal enum ApiRole
{
    Uploader,
    ReleaseManager,
    Admin,
}
