using ChatOpsBot.Core.Doctor;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>The doctor's Teams check: the login endpoint gives the bot a token for the Connector, as every reply needs.</summary>
internal sealed class TeamsDoctorCheck(BotTokenClient tokens, IOptions<TeamsOptions> options) : IDoctorCheck
{
    public const string TokenCheck = "Teams bot token";

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(CancellationToken cancellationToken)
    {
        var login = options.Value.LoginUrl;
        try
        {
            await tokens.GetTokenAsync(cancellationToken);
            return [DoctorFinding.Ok(TokenCheck, $"{login.GetLeftPart(UriPartial.Path)} gave the bot a token for the Bot Connector.")];
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e is OperationCanceledException ? "no answer" : e.Message;
            return [DoctorFinding.Problem(TokenCheck,
                $"{login.GetLeftPart(UriPartial.Path)} gave no token ({reason}): check {TeamsOptions.Section}:MicrosoftAppId, MicrosoftAppPassword (client secrets expire) and MicrosoftAppTenantId against the Azure Bot's app registration.")];
        }
    }
}
