using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Manifests;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Jobs;
using ChatOpsBot.PropertyList;
using ChatOpsBot.Slack;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests;

/// <summary>
/// Whole Slack, Teams and install flows with every log category at Debug, as an operator turns it on to diagnose a
/// problem: no install token, install URL, Slack response_url or credential reaches a log line or its scopes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes through IAsyncLifetime.")]
public sealed partial class LogSecrecyTests : IAsyncLifetime
{
    private const string SigningSecret = "slack-signing-secret-for-log-tests";
    private const string BotToken = "xoxb-bot-token-for-log-tests";
    private const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    private const string Installer = "com.apple.appstored/1.0 iOS/18.1 model/iPhone15,2 hwp/t8120 build/22B83 (6; dt:281) AMS/1";

    // The secret part of a response_url is its last segment, as in Slack's https://hooks.slack.com/commands/T…/…/<secret>.
    private const string CommandHookSecret = "cmdHookSecret0a1b2c3d4e5f";
    private const string ActionHookSecret = "actHookSecret9z8y7x6w5v4u";

    private readonly FakeBotFramework _microsoft = new();
    private FakeSlackApi _slack = null!;
    private ChatOpsBotApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _slack = await FakeSlackApi.StartAsync();
        var settings = ChatOpsBotApplication.WithApiKeys(_microsoft.Settings());
        settings["Slack:SigningSecret"] = SigningSecret;
        settings["Slack:BotToken"] = BotToken;
        settings["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl;
        // No time for the engine: every answer goes out through the response_url, over the host's HttpClient.
        settings["Slack:CommandBudget"] = "00:00:00";
        // Links die within Slack's 30 minutes, so their messages are replaced through the response_url too.
        settings["ChatOpsBot:Links:Lifetime"] = "00:20:00";
        // Debug everywhere, for every provider: the shipped per-category levels and a provider's own rules included.
        foreach (var category in new[] { "Default", "Microsoft", "Microsoft.AspNetCore", "Microsoft.AspNetCore.Hosting.Diagnostics",
                     "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.EntityFrameworkCore", "System.Net.Http.HttpClient" })
        {
            settings[$"Logging:LogLevel:{category}"] = "Debug";
            settings[$"Logging:{typeof(RecordingLoggerProvider).FullName}:LogLevel:{category}"] = "Debug";
        }
        _app = new ChatOpsBotApplication(settings);
        _client = _app.CreateLoopbackClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _slack.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    [Fact]
    public async Task NoTokenInstallUrlResponseUrlOrCredentialIsLoggedAtDebugThroughSlackTeamsAndInstallFlows()
    {
        var buildId = await UploadAsync();
        var installUrls = new List<string>();
        var sources = new List<string>();

        // Slack: a signed /install, answered through its response_url; then a Get link button, answered through its own.
        using (var command = await SlackAsync("/slack/commands", Form(("team_id", "T0WORK"), ("channel_id", "C0GENERAL"),
            ("user_id", "U0ALICE"), ("user_name", "alice"), ("command", "/install"), ("text", "demo beta"),
            ("response_url", _slack.ResponseUrl($"commands/T0WORK/1/{CommandHookSecret}")), ("trigger_id", "1.2.3"))))
            Assert.Equal(HttpStatusCode.OK, command.StatusCode);
        installUrls.AddRange(Traced(sources, "slack", (await _slack.NextCallAsync()).Body));
        var interaction = JsonSerializer.Serialize(new
        {
            type = "block_actions",
            team = new { id = "T0WORK", domain = "work" },
            user = new { id = "U0BOB", username = "bob", team_id = "T0WORK" },
            api_app_id = "A0APP",
            container = new { type = "message", message_ts = "1.2", channel_id = "C0GENERAL", is_ephemeral = false },
            channel = new { id = "C0GENERAL", name = "general" },
            response_url = _slack.ResponseUrl($"actions/T0WORK/2/{ActionHookSecret}"),
            actions = new[] { new { type = "button", action_id = "get_link", block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        });
        using (var pressed = await SlackAsync("/slack/interactions", Form(("payload", interaction))))
            Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        installUrls.AddRange(Traced(sources, "slack", (await _slack.NextCallAsync()).Body));

        // Teams: a message to the bot, answered through the Connector; then a card's Get link, answered in the response.
        var inboundToken = _microsoft.Token(_app.Clock.GetUtcNow());
        using (var message = await TeamsAsync(_microsoft.Message("<at>ChatOpsBot</at> install demo beta"), inboundToken))
            Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        installUrls.AddRange(Traced(sources, "teams post", (await _microsoft.NextPostAsync()).Body.GetRawText()));
        var invoke = _microsoft.Message("", id: "1700000000002");
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["value"] = new JsonObject
        {
            ["action"] = new JsonObject
            {
                ["type"] = "Action.Execute",
                ["verb"] = "get_link",
                ["data"] = new JsonObject { ["action"] = "get_link", ["value"] = buildId.ToString(CultureInfo.InvariantCulture) },
            },
            ["trigger"] = "manual",
        };
        using (var executed = await TeamsAsync(invoke, inboundToken))
            installUrls.AddRange(Traced(sources, "teams invoke", await executed.Content.ReadAsStringAsync()));

        // The API's own link, for a release pipeline.
        using (var api = _app.CreateClient(ChatOpsBotApplication.UploaderKey))
        using (var minted = await api.PostAsJsonAsync("/api/v1/apps/demo/links", new { channel = "beta" }))
            installUrls.AddRange(Traced(sources, "api", await minted.Content.ReadAsStringAsync()));

        Assert.True(installUrls.Distinct(StringComparer.Ordinal).Count() == 5, "expected one link from each of five answers:\n" + string.Join("\n", sources));

        // The install flow on every link: page, QR code, icon, manifest, then the IPA as iOS fetches it.
        foreach (var installUrl in installUrls)
            await InstallAsync(installUrl);

        // The links die: their pages answer 410, and the chat messages that carried them are replaced.
        _app.Clock.Advance(TimeSpan.FromMinutes(20));
        await using (var scope = _app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ExpireLinksJob>().RunAsync(CancellationToken.None);
        await _app.RunJobsAsync();
        using (var gone = await _client.GetAsync(new Uri(installUrls[0]).AbsolutePath))
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);

        var tokens = installUrls.Select(u => new Uri(u).AbsolutePath["/i/".Length..]).ToList();
        string[] secrets =
        [
            .. tokens, .. installUrls, CommandHookSecret, ActionHookSecret, _slack.ResponseUrl("commands"), _slack.ResponseUrl("actions"),
            SigningSecret, BotToken, FakeBotFramework.AppPassword, "connector-token-", inboundToken,
            ChatOpsBotApplication.UploaderKey, ChatOpsBotApplication.ReleaseManagerKey, ChatOpsBotApplication.AdminKey,
        ];
        var logs = _app.Logs.ToList();
        Assert.Contains(logs, l => l.StartsWith("Debug ", StringComparison.Ordinal));
        Assert.Contains(_slack.Calls, c => c.Path.EndsWith(CommandHookSecret, StringComparison.Ordinal) && c.Json.TryGetProperty("replace_original", out var r) && r.GetBoolean());
        var leaks = logs.SelectMany(l => secrets.Where(s => l.Contains(s, StringComparison.Ordinal)).Select(s => $"{s}\n  in: {l}")).ToList();
        Assert.True(leaks.Count == 0, "Logged:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task NoUdidSerialChallengeOrDeviceLinkIsLoggedAtDebugThroughDeviceRegistration()
    {
        using var devices = new Core.Tests.Devices.TestDevices();
        var tokens = new List<string>();
        // Slack's /device, answered through its response_url; then Teams' "device", answered through the Connector.
        using (var command = await SlackAsync("/slack/commands", Form(("team_id", "T0WORK"), ("channel_id", "C0GENERAL"),
            ("user_id", "U0ALICE"), ("user_name", "alice"), ("command", "/device"), ("text", ""),
            ("response_url", _slack.ResponseUrl($"commands/T0WORK/1/{CommandHookSecret}")), ("trigger_id", "1.2.3"))))
            Assert.Equal(HttpStatusCode.OK, command.StatusCode);
        tokens.Add(DeviceToken().Match((await _slack.NextCallAsync()).Body).Groups["token"].Value);
        var inboundToken = _microsoft.Token(_app.Clock.GetUtcNow());
        using (var message = await TeamsAsync(_microsoft.Message("<at>ChatOpsBot</at> device"), inboundToken))
            Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        tokens.Add(DeviceToken().Match((await _microsoft.NextPostAsync()).Body.GetRawText()).Groups["token"].Value);
        Assert.All(tokens, t => Assert.Equal(22, t.Length));

        var challenges = new List<string>();
        foreach (var token in tokens)
        {
            using var safari = _app.CreateLoopbackClient();
            safari.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SafariOnIPhone);
            Assert.Contains("Add this device", await safari.GetStringAsync($"/d/{token}"), StringComparison.Ordinal);
            var profile = Plist.ParseDictionary(await safari.GetByteArrayAsync($"/d/{token}/profile"));
            var challenge = ((PlistDictionary)profile["PayloadContent"]).GetString("Challenge")!;
            challenges.Add(challenge);
            using var refused = new ByteArrayContent(devices.Answer(Core.Tests.Devices.TestDevices.Attributes(challenge: "not-the-challenge")));
            Assert.Equal(HttpStatusCode.BadRequest, (await _client.PostAsync($"/d/{token}/enroll", refused)).StatusCode);
            using var answer = new ByteArrayContent(devices.Answer(Core.Tests.Devices.TestDevices.Attributes(challenge: challenge)));
            using var handler = new HttpClientHandler { AllowAutoRedirect = false };
            using var iOS = new HttpClient(handler) { BaseAddress = _client.BaseAddress };
            Assert.Equal(HttpStatusCode.MovedPermanently, (await iOS.PostAsync($"/d/{token}/enroll", answer)).StatusCode);
            Assert.Contains("iPhone 15 Pro", await safari.GetStringAsync($"/d/{token}/done"), StringComparison.Ordinal);
        }
        using (var api = _app.CreateClient(ChatOpsBotApplication.ReleaseManagerKey))
        {
            Assert.Contains(Core.Tests.Devices.TestDevices.Udid, await api.GetStringAsync("/api/v1/devices"), StringComparison.Ordinal);
            Assert.Contains(Core.Tests.Devices.TestDevices.Udid, await api.GetStringAsync("/api/v1/devices?format=apple"), StringComparison.Ordinal);
        }

        string[] secrets =
        [
            .. tokens, .. challenges, Core.Tests.Devices.TestDevices.Udid, Core.Devices.Udid.Normalize(Core.Tests.Devices.TestDevices.Udid), "F2LXK0ABCDEF",
        ];
        var logs = _app.Logs.ToList();
        Assert.Contains(logs, l => l.Contains("refused: WrongChallenge", StringComparison.Ordinal));
        var leaks = logs.SelectMany(l => secrets.Where(s => l.Contains(s, StringComparison.OrdinalIgnoreCase)).Select(s => $"{s}\n  in: {l}")).ToList();
        Assert.True(leaks.Count == 0, "Logged:\n" + string.Join("\n", leaks));
    }

    [GeneratedRegex(@"https://ota\.example\.test/d/(?<token>[A-Za-z0-9_-]{22})(?![A-Za-z0-9_\\-])")]
    private static partial Regex DeviceToken();

    private async Task InstallAsync(string installUrl)
    {
        var path = new Uri(installUrl).AbsolutePath;
        using var safari = _app.CreateLoopbackClient();
        safari.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SafariOnIPhone);
        var page = await safari.GetStringAsync(path);
        Assert.NotEmpty(await safari.GetByteArrayAsync(path + "/qr.png"));
        Assert.NotEmpty(await safari.GetByteArrayAsync(path + "/icon.png"));
        var manifestUrl = ItmsManifest.ManifestUrlOf(WebUtility.HtmlDecode(InstallHref().Match(page).Groups["href"].Value))!;
        using var iOS = _app.CreateLoopbackClient();
        iOS.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Installer);
        var manifest = Plist.ParseDictionary(await iOS.GetByteArrayAsync(new Uri(manifestUrl).AbsolutePath));
        var ipaUrl = ((PlistDictionary)manifest.GetArray("items")!.Single()).GetArray("assets")!.Cast<PlistDictionary>()
            .Single(a => a.GetString("kind") == "software-package").GetString("url")!;
        using (var head = await iOS.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(ipaUrl).AbsolutePath)))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        using var ranged = new HttpRequestMessage(HttpMethod.Get, new Uri(ipaUrl).AbsolutePath);
        ranged.Headers.Range = new(0, 99);
        using (var part = await iOS.SendAsync(ranged))
            Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.NotEmpty(await iOS.GetByteArrayAsync(new Uri(ipaUrl).AbsolutePath));
    }

    private async Task<long> UploadAsync()
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(TestProfiles.AdHoc()));
        builder.WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));
        using var api = _app.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("beta"), "channel" },
            { new StringContent("demo"), "app" },
            { new ByteArrayContent(builder.Build()), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<HttpResponseMessage> SlackAsync(string path, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = _app.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", SlackSignature.Sign(SigningSecret, timestamp, bytes));
        return await _client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> TeamsAsync(JsonObject activity, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StringContent(activity.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token);
        return await _client.SendAsync(request);
    }

    private static string Form(params (string Name, string Value)[] fields) =>
        string.Join('&', fields.Select(f => f.Name + "=" + Uri.EscapeDataString(f.Value)));

    private static List<string> Traced(List<string> sources, string source, string body)
    {
        var urls = InstallUrls(body).ToList();
        sources.Add($"{source}: {urls.Count} link(s) in {body}");
        return urls;
    }

    private static IEnumerable<string> InstallUrls(string body) =>
        InstallUrl().Matches(body).Select(m => m.Value).Distinct(StringComparer.Ordinal);

    // A whole 22-character token: in a Teams card's Markdown the link's text shows the address with its "_" escaped
    // ("…-\_g"), and only the link's target is the address itself.
    [GeneratedRegex(@"https://ota\.example\.test/i/[A-Za-z0-9_-]{22}(?![A-Za-z0-9_\\-])")]
    private static partial Regex InstallUrl();

    [GeneratedRegex("id=\"install\" href=\"(?<href>[^\"]+)\"")]
    private static partial Regex InstallHref();
}
