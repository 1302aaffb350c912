using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Teams;

/// <summary>Teams' log messages. Never tokens, app passwords or install URLs.</summary>
internal static partial class TeamsLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Rejected a Bot Framework request: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Refused a Teams activity from tenant {TenantId}, which is not in Teams:AllowedTenantIds")]
    public static partial void TenantNotAllowed(ILogger logger, string? tenantId);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Refreshing the Bot Framework signing keys from {MetadataUrl}")]
    public static partial void RefreshingKeys(ILogger logger, Uri metadataUrl);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Could not fetch the signing keys from {MetadataUrl}")]
    public static partial void KeysUnavailable(ILogger logger, Uri metadataUrl, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Bot Connector {Operation} answered {Status}; retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string operation, int status, TimeSpan delay);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Bot Connector {Operation} failed with {Status} (correlation id {CorrelationId}): {Error}")]
    public static partial void ConnectorFailed(ILogger logger, string operation, int status, string? correlationId, string error);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Error, Message = "Refused to send the Bot Connector token to {Host}: that service URL never arrived in a validated token")]
    public static partial void UntrustedServiceUrl(ILogger logger, string host);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Teams work item {Work} failed")]
    public static partial void WorkFailed(ILogger logger, string work, Exception exception);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Remembered Teams conversation of type {ConversationType} in tenant {TenantId}")]
    public static partial void ConversationRemembered(ILogger logger, string? conversationType, string tenantId);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Malformed Teams activity: {Reason}")]
    public static partial void MalformedActivity(ILogger logger, string reason);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Error, Message = "Could not get a Bot Connector token: {Status} {Error}")]
    public static partial void TokenFailed(ILogger logger, int status, string error);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "Could not open a private chat with a Teams user; their install link was not sent")]
    public static partial void PrivateChatFailed(ILogger logger);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Warning, Message = "Could not remember the Teams activity of an install link; it will not be updated when the link dies")]
    public static partial void LinkMessageNotRemembered(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5200, Level = LogLevel.Warning, Message = "Refused a Bot Framework request whose body is over {MaxBytes} bytes")]
    public static partial void BodyTooLarge(ILogger logger, int maxBytes);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Refused a Teams command from a person of tenant {TenantId}, which is not in Teams:AllowedTenantIds")]
    public static partial void PersonNotAllowed(ILogger logger, string? tenantId);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Could not tell which tenant a Teams user in a {ConversationType} belongs to; their command was not run")]
    public static partial void PersonNotVerified(ILogger logger, string? conversationType);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Information, Message = "Answered 501 to a Teams invoke the bot does not handle: {Name}")]
    public static partial void InvokeNotImplemented(ILogger logger, string name);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Debug, Message = "Ignored a Teams card submit that carries none of the bot's action fields")]
    public static partial void CardSubmitIgnored(ILogger logger);
}
