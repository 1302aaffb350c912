using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ChatOpsBot.Teams;

/// <summary>The Bot Framework activity fields this bot reads and writes (JSON names as on the wire).</summary>
internal sealed record Activity
{
    public string? Type { get; init; }
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? ServiceUrl { get; init; }
    public string? ChannelId { get; init; }
    public ChannelAccount? From { get; init; }
    public ConversationAccount? Conversation { get; init; }
    public ChannelAccount? Recipient { get; init; }
    public string? TextFormat { get; init; }
    public string? Text { get; init; }
    public string? Action { get; init; }
    public string? ReplyToId { get; init; }
    public IReadOnlyList<ChannelAccount>? MembersAdded { get; init; }
    public IReadOnlyList<Entity>? Entities { get; init; }
    public JsonElement? Value { get; init; }
    public JsonElement? ChannelData { get; init; }

    /// <summary>Teams puts the tenant in <c>channelData.tenant.id</c> (always) and <c>conversation.tenantId</c>.</summary>
    [JsonIgnore]
    public string? TenantId
    {
        get
        {
            string? fromChannelData = null;
            if (ChannelData is { ValueKind: JsonValueKind.Object } data
                && data.TryGetProperty("tenant", out var tenant) && tenant.ValueKind == JsonValueKind.Object
                && tenant.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                fromChannelData = id.GetString();
            var fromConversation = Conversation?.TenantId;
            if (fromChannelData is not null && fromConversation is not null
                && !string.Equals(fromChannelData, fromConversation, StringComparison.OrdinalIgnoreCase))
                return null;
            return fromChannelData ?? fromConversation;
        }
    }
}

internal sealed record ChannelAccount(string? Id, string? Name = null)
{
    public string? AadObjectId { get; init; }
    public string? Role { get; init; }

    /// <summary>
    /// The person's own tenant, when an activity names it (TeamsChannelAccount carries it; whether Teams puts it in an
    /// activity's <c>from</c> is not documented). The conversation's tenant is the host's, not the person's.
    /// </summary>
    public string? TenantId { get; init; }
}

internal sealed record ConversationAccount(string? Id)
{
    public string? Name { get; init; }
    public bool? IsGroup { get; init; }
    public string? ConversationType { get; init; }
    public string? TenantId { get; init; }
}

internal sealed record Entity(string? Type)
{
    public ChannelAccount? Mentioned { get; init; }
    public string? Text { get; init; }
}

/// <summary>The answer to an <c>invoke</c>: the HTTP response body (<c>AdaptiveCardInvokeResponse</c>).</summary>
internal sealed record InvokeResponse(int StatusCode, string Type, JsonNode Value)
{
    public const string CardType = "application/vnd.microsoft.card.adaptive";
    public const string ErrorType = "application/vnd.microsoft.error";

    /// <summary>A short text Teams shows the person who pressed the button, leaving the card as it is.</summary>
    public const string MessageType = "application/vnd.microsoft.activity.message";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Activity))]
[JsonSerializable(typeof(InvokeResponse))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class TeamsJson : JsonSerializerContext;
