using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

internal sealed class SlackOptions
{
    public const string Section = "Slack";

    /// <summary>Turns Slack on; every request from Slack is signed with it.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>The bot's <c>xoxb-</c> token for the Web API.</summary>
    public string? BotToken { get; set; }

    public string ApiBaseUrl { get; set; } = "https://slack.com/api/";

    /// <summary>
    /// The workspaces whose people the bot serves: the workspace of every request, and the person's own workspace
    /// (a Slack Connect channel mixes people of several). Empty: any workspace the app is installed in, and anyone.
    /// </summary>
    public List<string> AllowedTeamIds { get; set; } = [];

    /// <summary>Slack user ids (U…) that may announce and revoke.</summary>
    public List<string> ReleaseManagers { get; set; } = [];

    /// <summary>How long a slash command may run before it is acknowledged and finished through response_url.</summary>
    public TimeSpan CommandBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First backoff step for 5xx answers; doubled on each retry.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts per Web API call, the first included.</summary>
    public int MaxAttempts { get; set; } = 4;

    public bool IsTeamAllowed(string? teamId) =>
        AllowedTeamIds.Count == 0 || (teamId is not null && AllowedTeamIds.Contains(teamId, StringComparer.Ordinal));

    public bool IsReleaseManager(string userId) => ReleaseManagers.Contains(userId, StringComparer.Ordinal);
}

/// <summary>Start-up fails with a message that names the configuration key at fault.</summary>
internal sealed class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        if (string.IsNullOrEmpty(options.SigningSecret))
            return ValidateOptionsResult.Skip;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.BotToken))
            failures.Add($"{SlackOptions.Section}:BotToken is required when {SlackOptions.Section}:SigningSecret is set.");
        if (!Uri.TryCreate(options.ApiBaseUrl, UriKind.Absolute, out var api) || (api.Scheme != Uri.UriSchemeHttps && api.Scheme != Uri.UriSchemeHttp))
            failures.Add($"{SlackOptions.Section}:ApiBaseUrl must be an absolute http(s) URL such as https://slack.com/api/.");
        if (options.CommandBudget < TimeSpan.Zero || options.CommandBudget > TimeSpan.FromSeconds(2.5))
            failures.Add($"{SlackOptions.Section}:CommandBudget must be between 0 and 2.5 seconds: Slack gives up after 3.");
        if (options.RetryBaseDelay < TimeSpan.Zero)
            failures.Add($"{SlackOptions.Section}:RetryBaseDelay must not be negative.");
        if (options.MaxAttempts < 1)
            failures.Add($"{SlackOptions.Section}:MaxAttempts must be at least 1.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
