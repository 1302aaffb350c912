using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Data;
using ChatOpsBot.Slack;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// One host and one fake Slack for the <see cref="SlackEndToEndTests"/> that need no host of their own. xunit runs a
/// class's tests one at a time, and each test sees the host through its own <see cref="View"/>: people, channels,
/// response URLs, event ids and an app no other test uses, and only the calls and rows of those. The clock never
/// moves here and the configuration never changes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed class SlackEndToEndHost : IAsyncLifetime
{
    public const string SigningSecret = "slack-signing-secret-for-tests";
    public const string ReleaseManager = "U0RELEASE";

    private int _tests;

    internal FakeSlackApi Slack { get; private set; } = null!;

    internal ChatOpsBotApplication App { get; private set; } = null!;

    internal HttpClient Client { get; private set; } = null!;

    /// <summary>The Slack settings of these tests, pointing at <paramref name="slack"/>, with <paramref name="extra"/> on top.</summary>
    internal static Dictionary<string, string?> Settings(FakeSlackApi slack, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:BotToken"] = "xoxb-test-token",
            ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl,
            ["Slack:ReleaseManagers:0"] = ReleaseManager,
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return settings;
    }

    /// <summary>The host as the next test sees it.</summary>
    internal View NewView() => new(Slack, () => App, () => Client, Interlocked.Increment(ref _tests));

    public async Task InitializeAsync()
    {
        Slack = await FakeSlackApi.StartAsync();
        App = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(Settings(Slack)));
        Client = App.CreateLoopbackClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Slack.DisposeAsync();
    }

    /// <summary>
    /// A host and its fake Slack as one test sees them. With a number (on the shared host), every id the test sends is
    /// its own; without (on a host of the test's own), the ids are the plain ones: U0ALICE in C0GENERAL, app "demo".
    /// The host is asked for when first needed, so a test can build requests before (or without) starting one.
    /// </summary>
    internal sealed class View(FakeSlackApi slack, Func<ChatOpsBotApplication> host, Func<HttpClient> hostClient, int? n)
    {
        private readonly int _callsBefore = slack.Calls.Count;
        private int _callsRead;

        public FakeSlackApi Slack => slack;

        public ChatOpsBotApplication App => host();

        public HttpClient Client => hostClient();

        /// <summary>The app this test uploads to, installs and subscribes to.</summary>
        public string Slug { get; } = n is null ? "demo" : $"demo-{n}";

        public string Alice { get; } = $"U0ALICE{n}";

        public string Bob { get; } = $"U0BOB{n}";

        /// <summary>The channel where this test's commands and mentions are typed.</summary>
        public string General { get; } = $"C0GENERAL{n}";

        /// <summary>Alice's direct messages with the bot.</summary>
        public string AliceDm { get; } = $"D0ALICE{n}";

        private string HookName(string name) => n is null ? name : $"t{n}/{name}";

        /// <summary>A response URL of this test's.</summary>
        public string ResponseUrl(string name) => slack.ResponseUrl(HookName(name));

        /// <summary>The path the fake sees for <see cref="ResponseUrl"/>.</summary>
        public string HookPath(string name) => "/hooks/" + HookName(name);

        public string EventId(string name) => n is null ? name : $"{name}-t{n}";

        public string Timestamp(int secondsFromNow = 0) =>
            App.Clock.GetUtcNow().AddSeconds(secondsFromNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        public static string Form(params (string Name, string Value)[] fields) =>
            string.Join('&', fields.Select(f => f.Name + "=" + Uri.EscapeDataString(f.Value).Replace("%20", "+", StringComparison.Ordinal)));

        public string SlashCommand(string command, string text, string teamId = "T0WORK", string? userId = null) => Form(
            ("token", "deprecated"), ("team_id", teamId), ("team_domain", "work"), ("channel_id", General), ("channel_name", "general"),
            ("user_id", userId ?? Alice), ("user_name", "alice"), ("command", command), ("text", text), ("api_app_id", "A0APP"),
            ("is_enterprise_install", "false"), ("response_url", ResponseUrl("commands/T0WORK/1/abc")), ("trigger_id", "1.2.3"));

        public async Task<HttpResponseMessage> PostAsync(string path, string body, string contentType, string? timestamp = null,
            string? signature = null, bool signed = true, string? retryNum = null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new(contentType);
            if (signed)
            {
                timestamp ??= Timestamp();
                request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
                request.Headers.Add("X-Slack-Signature", signature ?? SlackSignature.Sign(SigningSecret, timestamp, bytes));
            }
            if (retryNum is not null)
            {
                request.Headers.Add("X-Slack-Retry-Num", retryNum);
                request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
            }
            return await Client.SendAsync(request);
        }

        public Task<HttpResponseMessage> CommandAsync(string command, string text, string teamId = "T0WORK") =>
            PostAsync("/slack/commands", SlashCommand(command, text, teamId), "application/x-www-form-urlencoded");

        public Task<HttpResponseMessage> EventAsync(object envelope, string? retryNum = null) =>
            PostAsync("/slack/events", JsonSerializer.Serialize(envelope), "application/json", retryNum: retryNum);

        public Task<HttpResponseMessage> InteractionAsync(object payload) =>
            PostAsync("/slack/interactions", Form(("payload", JsonSerializer.Serialize(payload))), "application/x-www-form-urlencoded");

        /// <summary>Alice mentions the bot in <see cref="General"/>.</summary>
        public object Mention(string eventName, string text, string? subtype = null, string? botId = null) => new
        {
            token = "deprecated",
            team_id = "T0WORK",
            api_app_id = "A0APP",
            type = "event_callback",
            event_id = EventId(eventName),
            event_time = 1795424400,
            authorizations = new[] { new { team_id = "T0WORK", user_id = "U0BOT", is_bot = true } },
            @event = new { type = "app_mention", user = Alice, text, ts = "1795424400.000100", channel = General, event_ts = "1795424400.000100", subtype, bot_id = botId },
        };

        /// <summary>Alice writes to the bot in <see cref="AliceDm"/>.</summary>
        public object DirectMessage(string eventName, string text, string? subtype = null, string? botId = null) => new
        {
            token = "deprecated",
            team_id = "T0WORK",
            api_app_id = "A0APP",
            type = "event_callback",
            event_id = EventId(eventName),
            event_time = 1795424400,
            authorizations = new[] { new { team_id = "T0WORK", user_id = "U0BOT", is_bot = true } },
            @event = new { type = "message", channel_type = "im", user = Alice, text, ts = "1795424400.000200", channel = AliceDm, subtype, bot_id = botId },
        };

        /// <summary>Uploads a build of this test's app with notes and an icon; its id and the IPA's bytes.</summary>
        public async Task<(long Id, byte[] Ipa)> UploadAsync(string channel = "beta")
        {
            var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
            builder.Info["CFBundleDisplayName"] = "Demo & Co";
            builder.WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
            var ipa = builder.Build();
            using var api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            using var form = new MultipartFormDataContent
            {
                { new StringContent(channel), "channel" },
                { new StringContent(Slug), "app" },
                { new StringContent("Fixes the <login> crash & more"), "notes" },
                { new ByteArrayContent(ipa), "file", "Demo.ipa" },
            };
            using var response = await api.PostAsync("/api/v1/builds", form);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), ipa);
        }

        /// <summary>Uploads a signed APK (com.example.hello) of this test's app; its id and the APK's bytes.</summary>
        public async Task<(long Id, byte[] Apk)> UploadApkAsync(string channel = "beta")
        {
            var apk = await ChatOpsBot.Core.Tests.Builds.Android.TestApks.BuildAsync(new ChatOpsBot.Core.Tests.Builds.Android.TestApkSpec());
            using var api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
            using var form = new MultipartFormDataContent
            {
                { new StringContent(channel), "channel" },
                { new StringContent(Slug), "app" },
                { new ByteArrayContent(apk), "file", "app-release.apk" },
            };
            using var response = await api.PostAsync("/api/v1/builds", form);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), apk);
        }

        /// <summary>
        /// A call to one of this test's response URLs, or a Web API call about one of its channels or people. (On a host
        /// of the test's own, every call is its own.)
        /// </summary>
        public bool IsMine(FakeSlackCall call)
        {
            if (n is null)
                return true;
            if (call.Path.StartsWith("/hooks/", StringComparison.Ordinal))
                return call.Path.StartsWith(HookPath(""), StringComparison.Ordinal);
            if (!call.Path.StartsWith("/api/", StringComparison.Ordinal) || !call.Body.StartsWith('{'))
                return false;
            var json = call.Json;
            return (json.TryGetProperty("channel", out var channel) && channel.GetString() is { } c && (c == General || c == AliceDm || c == Alice || c == Bob))
                || (json.TryGetProperty("user", out var user) && user.GetString() is { } u && (u == Alice || u == Bob));
        }

        /// <summary>This test's calls so far, in the order they arrived.</summary>
        public List<FakeSlackCall> Calls => [.. slack.Calls.Where(IsMine)];

        /// <summary>
        /// Every call that arrived since this test began, whoever it is about: for requests that carry nothing to tell
        /// them by (malformed payloads). xunit runs the tests sharing this host one at a time.
        /// </summary>
        public List<FakeSlackCall> CallsSinceTheTestBegan => [.. slack.Calls.Skip(_callsBefore)];

        /// <summary>The next of this test's calls, waiting (bounded) for it.</summary>
        public Task<FakeSlackCall> NextCallAsync() => slack.CallAsync(IsMine, _callsRead++);

        /// <summary>The install links minted for builds of this test's app.</summary>
        public List<InstallLink> Links()
        {
            using var scope = App.Services.CreateScope();
            return [.. scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().InstallLinks.Where(l => l.Build.App.Slug == Slug)];
        }
    }
}
