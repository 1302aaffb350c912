namespace ChatOpsBot.Data;

/// <summary>
/// A chat event claimed by the replica that answers it: its primary key is the claim, so of two replicas inserting
/// the same one at once, one gets it. Deleted by the <c>prune-event-claims</c> job once past <see cref="ExpiresAt"/>.
/// </summary>
internal sealed class ChatEventClaim
{
    /// <summary>slack</summary>
    public required string Platform { get; set; }

    /// <summary>What was claimed, such as <c>event Ev0123</c> or <c>message C0123 1795424400.000100</c>; a long one hashed.</summary>
    public required string Key { get; set; }

    public DateTime ExpiresAt { get; set; }
}

/// <summary>
/// A service URL that arrived in the <c>serviceurl</c> claim of a validated Teams token, with the activity the token
/// was issued for: the bot's Connector token goes only to these. Written by the replica that validated the token,
/// read by every one.
/// </summary>
internal sealed class TeamsServiceUrl
{
    /// <summary>Without a trailing slash, in lower case; the key.</summary>
    public required string Url { get; set; }

    public DateTime TrustedAt { get; set; }
}
