using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Slack;

/// <summary>Slack's log messages. Never tokens, signing secrets, response URLs or install URLs.</summary>
internal static partial class SlackLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Rejected a Slack request to {Path}: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string path, SlackSignatureCheck reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Refused a Slack request from workspace {TeamId}, which is not in Slack:AllowedTeamIds")]
    public static partial void TeamNotAllowed(ILogger logger, string? teamId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Slack event {EventId} delivered again (retry {RetryNum}); already handled")]
    public static partial void DuplicateEvent(ILogger logger, string eventId, string? retryNum);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Slack command {Command} took longer than its budget; finishing through response_url")]
    public static partial void CommandDeferred(ILogger logger, string command);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Slack work item {Work} failed")]
    public static partial void WorkFailed(ILogger logger, string work, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Slack Web API {Method} answered {Status}; retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string method, string status, TimeSpan delay);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Slack Web API {Method} failed: {Error}")]
    public static partial void ApiFailed(ILogger logger, string method, string error);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Malformed Slack {Kind} payload")]
    public static partial void MalformedPayload(ILogger logger, string kind);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Slack's Web API warns about {Method}: {Warning}")]
    public static partial void ApiWarning(ILogger logger, string method, string warning);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Could not remember the Slack message of an install link; it will not be updated when the link dies")]
    public static partial void LinkMessageNotRemembered(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Told a Slack user of workspace {TeamId}, which is not in Slack:AllowedTeamIds, that the bot serves its own organisation only")]
    public static partial void PersonOutsideOrganisation(ILogger logger, string? teamId);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Slack message {Channel}/{Ts} arrived again as event {EventId}; already handled")]
    public static partial void DuplicateMessage(ILogger logger, string channel, string ts, string? eventId);
}
