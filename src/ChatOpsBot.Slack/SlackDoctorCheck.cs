using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using ChatOpsBot.Core.Doctor;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Slack;

/// <summary>
/// The doctor's Slack checks: the bot token answers <c>auth.test</c>, this machine's clock agrees with the
/// <c>Date</c> of Slack's answer (signed requests older than five minutes are refused), and the request URLs the
/// Slack app must be set to.
/// </summary>
internal sealed class SlackDoctorCheck(HttpClient http, IOptions<SlackOptions> options, TimeProvider time) : IDoctorCheck
{
    public const string TokenCheck = "Slack bot token";
    public const string ClockCheck = "Slack clock";

    internal static readonly TimeSpan SkewWarning = TimeSpan.FromMinutes(1);

    /// <summary>What <see cref="SlackSignature"/> allows; beyond it every signed request is refused as a replay.</summary>
    internal static readonly TimeSpan SkewLimit = SlackSignature.ReplayWindow;

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.BotToken))
            return [DoctorFinding.Problem(TokenCheck, $"{SlackOptions.Section}:BotToken is not set: copy the app's Bot User OAuth Token (xoxb-…) into it.")];
        var url = new Uri(new Uri(settings.ApiBaseUrl.EndsWith('/') ? settings.ApiBaseUrl : settings.ApiBaseUrl + "/"), "auth.test");
        JsonElement answer;
        DateTimeOffset? date;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent([]) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.BotToken);
            using var response = await http.SendAsync(request, cancellationToken);
            date = response.Headers.Date;
            if (!response.IsSuccessStatusCode)
                return [DoctorFinding.Problem(TokenCheck, $"{url.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode}: check {SlackOptions.Section}:ApiBaseUrl and that this machine reaches Slack.")];
            answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return [DoctorFinding.Problem(TokenCheck, $"{url.GetLeftPart(UriPartial.Path)} did not answer ({(e is OperationCanceledException ? "no answer" : e.Message)}): let this machine reach Slack (a proxy, a firewall), or check {SlackOptions.Section}:ApiBaseUrl.")];
        }

        List<DoctorFinding> findings = [];
        if (answer.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
            findings.Add(DoctorFinding.Ok(TokenCheck, $"auth.test accepted the bot token: workspace {Text(answer, "team")} ({Text(answer, "team_id")}), bot user {Text(answer, "user")}."));
        else
            findings.Add(DoctorFinding.Problem(TokenCheck,
                $"auth.test refused the bot token ({Text(answer, "error")}): set {SlackOptions.Section}:BotToken to the app's current Bot User OAuth Token (xoxb-…), and reinstall the app to the workspace if it was revoked."));
        findings.Add(Clock(date, time.GetUtcNow()));
        return findings;
    }

    internal static DoctorFinding Clock(DateTimeOffset? slack, DateTimeOffset now)
    {
        if (slack is not { } date)
            return DoctorFinding.Warning(ClockCheck, "Slack's answer had no Date header, so the clock was not compared: keep this machine's clock synchronised (NTP).");
        var skew = (now - date).Duration();
        var seconds = ((long)skew.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var direction = now > date ? "ahead of" : "behind";
        if (skew > SkewLimit)
            return DoctorFinding.Problem(ClockCheck, $"this machine's clock is {seconds} s {direction} Slack's, beyond the five minutes signed requests allow, so every command is refused: synchronise the clock (NTP).");
        if (skew > SkewWarning)
            return DoctorFinding.Warning(ClockCheck, $"this machine's clock is {seconds} s {direction} Slack's; beyond five minutes every command is refused: synchronise the clock (NTP).");
        return DoctorFinding.Ok(ClockCheck, $"within {Math.Max(1, (long)Math.Ceiling(skew.TotalSeconds)).ToString(CultureInfo.InvariantCulture)} s of Slack's clock.");
    }

    private static string Text(JsonElement answer, string property) =>
        answer.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "?";
}
