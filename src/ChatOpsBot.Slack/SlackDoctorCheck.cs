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

    public const string RequestUrlsCheck = "Slack request URLs";

    /// <summary>The routes the Slack app's settings point at, and where in those settings each goes.</summary>
    internal static readonly (string Path, string Setting)[] RequestUrls =
    [
        ("slack/commands", "each slash command's Request URL"),
        ("slack/interactions", "Interactivity's Request URL"),
        ("slack/events", "Event Subscriptions' Request URL"),
    ];

    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(DoctorContext context, CancellationToken cancellationToken) =>
        [.. await TokenAndClockAsync(cancellationToken), .. await RequestUrlsAsync(context, cancellationToken)];

    private async Task<IReadOnlyList<DoctorFinding>> TokenAndClockAsync(CancellationToken cancellationToken)
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

    /// <summary>
    /// Sends what Slack sends to each request URL, through <c>PublicBaseUrl</c>: to <c>/slack/events</c> the signed
    /// <c>url_verification</c> Slack sends when the URL is set (the host must echo its challenge: the route, the body
    /// and the signing secret all arrive intact), to the others an unsigned POST, which the host refuses with 401
    /// (a proxy's 404, 405 or 502 means Slack's requests never reach it). Nothing is stored by either.
    /// </summary>
    private async Task<IReadOnlyList<DoctorFinding>> RequestUrlsAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.PublicOrigin is not { } origin || context.CreatePublicClient is not { } createClient || string.IsNullOrEmpty(options.Value.SigningSecret))
            return [];
        using var client = createClient();
        List<DoctorFinding> problems = [];
        foreach (var (path, setting) in RequestUrls)
        {
            var url = new Uri(origin, path);
            var verification = path == "slack/events";
            var challenge = verification ? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)) : null;
            using var request = verification ? SignedVerification(url, challenge!) : new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent([]) };
            try
            {
                using var response = await client.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (verification && response.StatusCode == System.Net.HttpStatusCode.OK && Echoes(body, challenge!))
                    continue;
                if (!verification && response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
                    continue;
                var expected = verification ? "200 with the challenge of a request signed with Slack:SigningSecret" : "401 (ChatOpsBot's refusal of an unsigned request)";
                problems.Add(DoctorFinding.Problem(RequestUrlsCheck,
                    $"POST {url.AbsoluteUri} answered {(int)response.StatusCode} instead of {expected}, so Slack's requests to {setting} do not reach ChatOpsBot intact: pass /slack/ to ChatOpsBot unchanged (body and headers) in the proxy in front of it."));
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                problems.Add(DoctorFinding.Problem(RequestUrlsCheck,
                    $"POST {url.AbsoluteUri} did not answer ({(e is OperationCanceledException ? "no answer" : e.Message)}), so Slack's requests to {setting} cannot arrive: make PublicBaseUrl reach this host."));
            }
        }
        if (problems.Count > 0)
            return problems;
        return [DoctorFinding.Ok(RequestUrlsCheck,
            $"{string.Join(", ", RequestUrls.Select(r => new Uri(origin, r.Path).AbsoluteUri))} reach ChatOpsBot: they are the app's slash command, Interactivity and Event Subscriptions Request URLs (manifests/slack/manifest.yml).")];
    }

    private HttpRequestMessage SignedVerification(Uri url, string challenge)
    {
        var body = System.Text.Encoding.UTF8.GetBytes($$"""{"token":"chatopsbot-doctor","challenge":"{{challenge}}","type":"url_verification"}""");
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(options.Value.SigningSecret!, timestamp, body));
        return request;
    }

    private static bool Echoes(string body, string challenge)
    {
        try
        {
            using var answer = JsonDocument.Parse(body);
            return answer.RootElement.ValueKind == JsonValueKind.Object && answer.RootElement.TryGetProperty("challenge", out var echoed)
                && echoed.ValueKind == JsonValueKind.String && echoed.GetString() == challenge;
        }
        catch (JsonException)
        {
            return false;
        }
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
