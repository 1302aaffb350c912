using System.ComponentModel.DataAnnotations;

namespace ChatOpsBot;

internal sealed class ChatOpsBotOptions
{
    public const string Section = "ChatOpsBot";

    [Required]
    public string DataDirectory { get; set; } = "data";

    public DatabaseOptions Database { get; set; } = new();

    public UploadOptions Uploads { get; set; } = new();

    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>The data directory as an absolute path; relative paths are taken from the working directory.</summary>
    public string DataPath => Path.GetFullPath(DataDirectory);
}

internal enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

internal sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Empty means the SQLite file <c>chatopsbot.db</c> in the data directory.</summary>
    public string? ConnectionString { get; set; }
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
