namespace ChatOpsBot.Data;

internal enum LinkMessageState
{
    /// <summary>The link is live; the message stays as it is.</summary>
    Live,

    /// <summary>The link died; the message waits for its one update attempt.</summary>
    Pending,

    /// <summary>Claimed by an update job that is updating it now.</summary>
    Sending,

    Updated,

    /// <summary>The platform no longer allowed it (Slack's response URL lapsed) or the one attempt failed.</summary>
    NotUpdated,
}

/// <summary>
/// A chat message that carried an install link, with what its platform needs to update it once the link dies. The
/// response URL is Slack's bearer capability for the message: it is cleared as soon as the row is finished.
/// </summary>
internal sealed class SentLinkMessage
{
    public long Id { get; set; }

    public long LinkId { get; set; }

    public InstallLink Link { get; set; } = null!;

    public required string Platform { get; set; }

    public string? ResponseUrl { get; set; }

    public DateTime? ResponseUrlExpiresAt { get; set; }

    /// <summary>Slack allows a response URL 5 uses; the answer that carried the link may have spent one.</summary>
    public int ResponseUrlUses { get; set; }

    public string? ServiceUrl { get; set; }

    public string? ConversationId { get; set; }

    public string? ActivityId { get; set; }

    public LinkMessageState State { get; set; }

    public string? ClaimToken { get; set; }

    /// <summary>A claim older than this was lost with its job and may be taken over.</summary>
    public DateTime? ClaimExpiresAt { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
