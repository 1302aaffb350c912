namespace ChatOpsBot.Data;

/// <summary>
/// An API key made on the console (the set-up page or Settings), beside the keys of <c>ChatOpsBot:ApiKeys</c>. Only
/// the SHA-256 of the key is kept: the key itself is shown once, when it is made.
/// </summary>
internal sealed class StoredApiKey
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public ApiRole Role { get; set; }

    /// <summary>Lowercase hex SHA-256 of the key's UTF-8 bytes, as <c>ChatOpsBot:ApiKeys:n:KeyHash</c>; unique.</summary>
    public required string KeyHash { get; set; }

    /// <summary>The console identity (<c>web:setup</c>, <c>slack:T…:U…</c>) that made it.</summary>
    public required string CreatedBy { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Set once: a revoked key is refused from then on, and is kept as the record of who had it.</summary>
    public DateTime? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}

/// <summary>
/// The one-time set-up address's code, while no administrator is configured: one row (<see cref="Id"/> is always
/// <see cref="TheOne"/>), so replicas sharing the database issue one code between them. Only the code's SHA-256 is kept.
/// </summary>
internal sealed class SetupCode
{
    public const int TheOne = 1;

    public int Id { get; set; } = TheOne;

    /// <summary>Lowercase hex SHA-256 of the code.</summary>
    public required string CodeHash { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>The code works until this moment (exclusive), unless used first.</summary>
    public DateTime ExpiresAt { get; set; }

    /// <summary>When the code was used: set-up has then been done, and no new code is issued.</summary>
    public DateTime? UsedAt { get; set; }
}
