using ChatOpsBot.Core.Doctor;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Teams;

/// <summary>The doctor's Teams check: the login endpoint gives the bot a token for the Connector, as every reply needs.</summary>
internal sealed class TeamsDoctorCheck(BotTokenClient tokens, IOptions<TeamsOptions> options) : IDoctorCheck
{
    public const string TokenCheck = "Teams bot token";
    public const string EndpointCheck = "Teams messaging endpoint";

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var token = await TokenAsync(cancellationToken);
        if (context.PublicOrigin is null || context.CreatePublicClient is null)
            return [token];
        return [token, await EndpointAsync(context, cancellationToken)];
    }

    /// <summary>
    /// An activity without a token, through <c>PublicBaseUrl</c>, as the Bot Connector would send one: the host
    /// refuses it with 401 before reading it; a proxy's 404, 405 or 502 means Teams' activities never reach the host.
    /// </summary>
    private static async Task<DoctorFinding> EndpointAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        var url = new Uri(context.PublicOrigin!, "api/messages");
        using var client = context.CreatePublicClient!();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
                return DoctorFinding.Ok(EndpointCheck, $"{url.AbsoluteUri} reaches ChatOpsBot: it is the Azure Bot's messaging endpoint.");
            return DoctorFinding.Problem(EndpointCheck,
                $"POST {url.AbsoluteUri} answered {(int)response.StatusCode} instead of 401 (ChatOpsBot's refusal of an activity without a token), so Teams' activities do not reach ChatOpsBot: pass /api/messages to ChatOpsBot unchanged (body and Authorization) in the proxy in front of it.");
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return DoctorFinding.Problem(EndpointCheck,
                $"POST {url.AbsoluteUri} did not answer ({(e is OperationCanceledException ? "no answer" : e.Message)}), so Teams' activities cannot arrive: make PublicBaseUrl reach this host.");
        }
    }

    private async Task<DoctorFinding> TokenAsync(CancellationToken cancellationToken)
    {
        var login = options.Value.LoginUrl;
        try
        {
            await tokens.GetTokenAsync(cancellationToken);
            return DoctorFinding.Ok(TokenCheck, $"{login.GetLeftPart(UriPartial.Path)} gave the bot a token for the Bot Connector.");
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e is OperationCanceledException ? "no answer" : e.Message;
            return DoctorFinding.Problem(TokenCheck,
                $"{login.GetLeftPart(UriPartial.Path)} gave no token ({reason}): check {TeamsOptions.Section}:MicrosoftAppId, MicrosoftAppPassword (client secrets expire) and MicrosoftAppTenantId against the Azure Bot's app registration.");
        }
    }
}
