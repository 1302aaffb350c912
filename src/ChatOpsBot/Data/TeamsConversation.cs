namespace ChatOpsBot.Data;

/// <summary>A Teams conversation the bot was added to or heard from: where proactive messages to it go.</summary>
internal sealed class TeamsConversation
{
    public long Id { get; set; }

    /// <summary>Teams' conversation id, without a channel thread's ";messageid=…"; unique.</summary>
    public required string ConversationId { get; set; }

    /// <summary>From a validated token's <c>serviceurl</c> claim (trusted through <see cref="TeamsServiceUrl"/>).</summary>
    public required string ServiceUrl { get; set; }

    public required string TenantId { get; set; }

    public required string BotId { get; set; }

    public string? ConversationType { get; set; }

    public string? Name { get; set; }

    public DateTime CreatedAt { get; set; }
}
