using System.Net.Http.Headers;
using System.Text.Json;
using ChatOpsBot.Slack;
using ChatOpsBot.Teams;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Web;

/// <summary>Whether a person who signed in with a provider gets in, and as whom.</summary>
internal abstract record SignInVerdict
{
    private SignInVerdict()
    {
    }

    /// <summary>Let in as <paramref name="Person"/>.</summary>
    public sealed record Admitted(ConsoleIdentity Person) : SignInVerdict;

    /// <summary>
    /// Not let in: <paramref name="Why"/> is one of <see cref="RefusedWhy"/>, <paramref name="Id"/> the workspace or
    /// tenant, <paramref name="Reason"/> a sentence for the log.
    /// </summary>
    public sealed record Refused(string Why, string? Id, string Reason) : SignInVerdict;
}

/// <summary>Why a person was not let in; the refused page says it in its own words.</summary>
internal static class RefusedWhy
{
    public const string Unidentified = "unidentified";
    public const string Workspace = "workspace";
    public const string UnknownHome = "unknown-home";
    public const string Tenant = "tenant";
}

/// <summary>
/// Who gets in to the console and with which role, in one place: the chat settings decide who is a release manager
/// (<c>Slack:ReleaseManagers</c>, <c>Teams:ReleaseManagers</c>, read with the same rules as chat), <c>Web:Admins</c>
/// who is an administrator; everyone else of a served workspace or tenant is a Member.
/// </summary>
internal sealed class ConsoleRoles(IConfiguration configuration, IOptions<WebOptions> web, SlackHomeWorkspace slackHome)
{
    // Bound here rather than taken from IOptions: the chat adapters register theirs only when chat is turned on,
    // while sign-in may be on without it.
    private readonly SlackOptions _slack = configuration.GetSection(SlackOptions.Section).Get<SlackOptions>() ?? new();
    private readonly TeamsOptions _teams = configuration.GetSection(TeamsOptions.Section).Get<TeamsOptions>() ?? new();

    /// <summary>The role of a person of the platform (<c>slack</c> or <c>teams</c>) with this user id.</summary>
    public ConsoleRole RoleOf(string platform, string userId) =>
        web.Value.IsAdmin(userId) ? ConsoleRole.Admin
        : platform switch
        {
            "slack" when _slack.IsReleaseManager(userId) => ConsoleRole.ReleaseManager,
            "teams" when _teams.IsReleaseManager(userId) => ConsoleRole.ReleaseManager,
            _ => ConsoleRole.Member,
        };

    /// <summary>The one workspace Slack should sign people in to, when there is exactly one (Slack's <c>team</c> parameter).</summary>
    public string? SlackTeamHint => _slack.AllowedTeamIds is [var only] ? only : null;

    /// <summary>
    /// A Slack person gets in when their workspace is in <c>Slack:AllowedTeamIds</c>, or, when that list is empty,
    /// is the workspace of the Slack app itself (from <c>auth.test</c> with <c>Slack:BotToken</c>). When neither is
    /// known nobody gets in: an empty list must not mean every Slack workspace in the world.
    /// </summary>
    public async Task<SignInVerdict> SlackAsync(string? teamId, string? userId, string? name, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(teamId) || string.IsNullOrEmpty(userId))
            return new SignInVerdict.Refused(RefusedWhy.Unidentified, null, "Slack's ID token has no team or user id");
        bool allowed;
        if (_slack.AllowedTeamIds.Count > 0)
            allowed = _slack.AllowedTeamIds.Contains(teamId, StringComparer.Ordinal);
        else if (await slackHome.TeamIdAsync(cancellationToken) is { } home)
            allowed = string.Equals(teamId, home, StringComparison.Ordinal);
        else
            return new SignInVerdict.Refused(RefusedWhy.UnknownHome, teamId,
                "Slack:AllowedTeamIds is empty and the Slack app's own workspace is unknown (Slack:BotToken unset or auth.test failed)");
        if (!allowed)
            return new SignInVerdict.Refused(RefusedWhy.Workspace, teamId, $"Slack workspace {teamId} is not served");
        return new SignInVerdict.Admitted(new ConsoleIdentity("slack", teamId, userId, Named(name, userId), RoleOf("slack", userId)));
    }

    /// <summary>
    /// A Microsoft person gets in when their tenant is in <c>Teams:AllowedTenantIds</c> or is the app's own tenant
    /// (<c>Teams:MicrosoftAppTenantId</c>, or <c>Web:Microsoft:TenantId</c> when it names one tenant).
    /// </summary>
    public SignInVerdict Microsoft(string? tenantId, string? objectId, string? name)
    {
        if (string.IsNullOrEmpty(tenantId) || string.IsNullOrEmpty(objectId))
            return new SignInVerdict.Refused(RefusedWhy.Unidentified, null, "Microsoft's ID token has no tid or oid");
        var own = web.Value.Microsoft.TenantId;
        var allowed = _teams.AllowedTenantIds.Contains(tenantId, StringComparer.OrdinalIgnoreCase)
            || string.Equals(tenantId, _teams.MicrosoftAppTenantId, StringComparison.OrdinalIgnoreCase)
            || (Guid.TryParse(own, out _) && string.Equals(tenantId, own, StringComparison.OrdinalIgnoreCase));
        if (!allowed)
            return new SignInVerdict.Refused(RefusedWhy.Tenant, tenantId, $"Microsoft tenant {tenantId} is not served");
        return new SignInVerdict.Admitted(new ConsoleIdentity("teams", tenantId, objectId, Named(name, objectId), RoleOf("teams", objectId)));
    }

    private static string Named(string? name, string userId) => string.IsNullOrWhiteSpace(name) ? userId : name.Trim();
}

/// <summary>
/// The workspace of the Slack app, from <c>auth.test</c> with the bot token; remembered once Slack has said it, asked
/// again after a failure.
/// </summary>
internal sealed partial class SlackHomeWorkspace(IConfiguration configuration, IHttpClientFactory clients, ILogger<SlackHomeWorkspace> logger)
{
    public const string HttpClientName = "slack-home-workspace";

    private readonly SlackOptions _slack = configuration.GetSection(SlackOptions.Section).Get<SlackOptions>() ?? new();
    private string? _teamId;

    public async Task<string?> TeamIdAsync(CancellationToken cancellationToken)
    {
        if (_teamId is not null || string.IsNullOrWhiteSpace(_slack.BotToken))
            return _teamId;
        try
        {
            var api = _slack.ApiBaseUrl.EndsWith('/') ? _slack.ApiBaseUrl : _slack.ApiBaseUrl + "/";
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(api), "auth.test"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _slack.BotToken);
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = answer.RootElement;
            if (root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True
                && root.TryGetProperty("team_id", out var team) && team.GetString() is { Length: > 0 } teamId)
                return _teamId = teamId;
            LogHomeUnknown(logger, root.TryGetProperty("error", out var error) ? error.GetString() : $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogHomeUnknown(logger, e.Message);
        }
        return null;
    }

    [LoggerMessage(EventId = 6750, Level = LogLevel.Warning,
        Message = "Slack's auth.test did not name the app's workspace ({Error}), so nobody can sign in to the console with Slack: check Slack:BotToken, or set Slack:AllowedTeamIds")]
    private static partial void LogHomeUnknown(ILogger logger, string? error);
}
