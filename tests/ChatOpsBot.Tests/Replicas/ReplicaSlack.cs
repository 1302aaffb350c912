using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ChatOpsBot.Slack;

namespace ChatOpsBot.Tests;

/// <summary>
/// Slack for replica processes: one <see cref="FakeSlackApi"/> that every replica calls under a path of its own
/// (<c>/A/api/…</c>), so a test can tell which replica posted what; and signed requests from Slack to a replica.
/// A host process runs on the real clock, so requests are signed with the real time, as Slack signs them.
/// </summary>
internal static class ReplicaSlack
{
    public const string SigningSecret = "slack-signing-secret-for-replicas";

    public static Dictionary<string, string> Settings(FakeSlackApi slack, string replica) => new()
    {
        ["Slack:SigningSecret"] = SigningSecret,
        ["Slack:BotToken"] = "xoxb-replica-token",
        ["Slack:ApiBaseUrl"] = new Uri(slack.Origin, $"/{replica}/api/").ToString(),
    };

    /// <summary>Sends a signed request as Slack does, with <c>X-Slack-Retry-Num</c> when it is a retry.</summary>
    public static async Task<HttpResponseMessage> PostAsync(Replica replica, string path, string body, string contentType, string? retryNum = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new(contentType);
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SigningSecret, timestamp, bytes));
        if (retryNum is not null)
        {
            request.Headers.Add("X-Slack-Retry-Num", retryNum);
            request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
        }
        return await replica.CreateClient().SendAsync(request);
    }

    /// <summary>An <c>app_mention</c> event envelope: someone writes <paramref name="text"/> to the bot in <paramref name="channel"/>.</summary>
    public static string Mention(string eventId, string channel, string text, string ts = "1795424400.000100") => JsonSerializer.Serialize(new
    {
        token = "deprecated",
        team_id = "T0WORK",
        api_app_id = "A0APP",
        type = "event_callback",
        event_id = eventId,
        event_time = 1795424400,
        authorizations = new[] { new { team_id = "T0WORK", user_id = "U0BOT", is_bot = true } },
        @event = new { type = "app_mention", user = "U0ALICE", text = "<@U0BOT> " + text, ts, channel, event_ts = ts },
    });

    /// <summary>Subscribes <paramref name="channel"/> to the app's beta channel by a mention through <paramref name="replica"/>, and waits for the bot's answer.</summary>
    public static async Task SubscribeAsync(Replica replica, FakeSlackApi slack, string channel, string app)
    {
        using var response = await PostAsync(replica, "/slack/events", Mention($"Ev-subscribe-{channel}", channel, $"subscribe {app} beta"), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await slack.CallAsync(c => c.Path.EndsWith("/api/chat.postMessage", StringComparison.Ordinal) && Channel(c) == channel);
        Assert.StartsWith("Subscribed", reply.Json.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    public static string? Channel(FakeSlackCall call) =>
        call.Body.StartsWith('{') && call.Json.TryGetProperty("channel", out var channel) ? channel.GetString() : null;

    public static bool IsAnnouncementTo(FakeSlackCall call, string channel) =>
        call.Path.EndsWith("/api/chat.postMessage", StringComparison.Ordinal) && Channel(call) == channel
        && call.Json.GetProperty("text").GetString()!.Contains(" is out in ", StringComparison.Ordinal);

    /// <summary>The announcements Slack received (and answered) for <paramref name="channel"/>, from any replica.</summary>
    public static List<FakeSlackCall> AnnouncementsTo(FakeSlackApi slack, string channel) => [.. slack.Calls.Where(c => IsAnnouncementTo(c, channel))];
}
