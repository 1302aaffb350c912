using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Devices;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Tests.Devices;

/// <summary>"Ask to add my device" in Teams: the card's button, the release manager's 1:1 chat, the person told after an upload.</summary>
public sealed partial class TeamsDeviceRequestTests : IAsyncLifetime, IDisposable
{
    private const string ReleaseManager = "7e7e7e7e-0000-4000-8000-00000000e1ea";
    private const string UserId = "29:1teams-device-person";
    private const string AadObjectId = "0a1b2c3d-0000-4000-8000-0000000000d1";
    private const string Personal = "a:1Xk9-personal-devices";

    private readonly TestDevices _devices = new();
    private FakeBotFramework _microsoft = null!;
    private ChatOpsBotApplication _app = null!;
    private HttpClient _client = null!;
    private int _activities;

    public Task InitializeAsync()
    {
        _microsoft = new FakeBotFramework();
        var settings = _microsoft.Settings();
        settings["Teams:ReleaseManagers:0"] = ReleaseManager;
        _app = new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(settings));
        _client = _app.CreateLoopbackClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _microsoft.DisposeAsync();
    }

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task AskToAddMyDeviceInTeamsTellsTheReleaseManagerInTheir1To1ChatAndThePersonWhenABuildHasTheDevice()
    {
        var buildId = await UploadAsync(TestProfiles.AdHoc(), "Without");
        await RegisterAsync();

        var install = await SayAsync("install demo beta");
        var card = install.Body.GetRawText();
        Assert.Contains("\"verb\":\"request_device\"", card, StringComparison.Ordinal);
        Assert.Contains("Ask to add my device", card, StringComparison.Ordinal);

        var first = await PressAsync(buildId);
        var second = await PressAsync(buildId);
        await _app.RunJobsAsync();

        Assert.Contains("I've asked the release managers to add your iPhone 15 Pro", first, StringComparison.Ordinal);
        Assert.Contains("You've already asked", second, StringComparison.Ordinal);
        var opened = Assert.Single(_microsoft.Posts, p => p.RawTarget == "/teams/v3/conversations"
            && p.Body.GetProperty("members")[0].GetProperty("id").GetString() == ReleaseManager);
        Assert.Equal(FakeBotFramework.TenantId, opened.Body.GetProperty("tenantId").GetString());
        var told = Assert.Single(PostsIn(FakeBotFramework.PersonalConversationId(ReleaseManager)));
        var text = told.Body.GetRawText();
        Assert.Contains(TestDevices.Udid, text, StringComparison.Ordinal);
        Assert.Contains("Ada Lovelace asks to add their device", text, StringComparison.Ordinal);

        await UploadAsync(TestProfiles.Profile("With", devices: [TestDevices.Udid]), "With");
        await _app.RunJobsAsync();

        var news = Assert.Single(PostsIn(FakeBotFramework.PersonalConversationId(AadObjectId)));
        Assert.Contains("A build you can install is here", news.Body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(TestDevices.Udid, news.Body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(_app.Logs, l => l.Contains(TestDevices.Udid, StringComparison.OrdinalIgnoreCase));
    }

    private List<ConnectorCall> PostsIn(string conversationId) =>
        [.. _microsoft.Posts.Where(p => p.RawTarget == $"/teams/v3/conversations/{Uri.EscapeDataString(conversationId)}/activities")];

    private JsonObject Activity(string text)
    {
        var id = (1700000000100 + Interlocked.Increment(ref _activities)).ToString(CultureInfo.InvariantCulture);
        var message = _microsoft.Message(text, id, $"{Personal};messageid={id}");
        message["from"] = new JsonObject { ["id"] = UserId, ["name"] = "Ada Lovelace", ["aadObjectId"] = AadObjectId };
        return message;
    }

    private async Task<HttpResponseMessage> PostAsync(JsonObject activity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StringContent(activity.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", _microsoft.Token(_app.Clock.GetUtcNow()));
        return await _client.SendAsync(request);
    }

    /// <summary>A message in the person's 1:1 chat, and the bot's answer to it.</summary>
    private async Task<ConnectorCall> SayAsync(string text)
    {
        var activity = Activity(text);
        var replyTo = activity["id"]!.GetValue<string>();
        using var response = await PostAsync(activity);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await _microsoft.PostAsync(p => p.RawTarget.EndsWith("/activities/" + replyTo, StringComparison.Ordinal));
    }

    /// <summary>The card's Action.Execute, as Teams invokes it; the text Teams shows the presser.</summary>
    private async Task<string> PressAsync(long buildId)
    {
        var invoke = Activity("");
        invoke["type"] = "invoke";
        invoke["name"] = "adaptiveCard/action";
        invoke["replyToId"] = "1:install-card";
        var value = buildId.ToString(CultureInfo.InvariantCulture);
        invoke["value"] = new JsonObject
        {
            ["action"] = new JsonObject
            {
                ["type"] = "Action.Execute",
                ["verb"] = "request_device",
                ["data"] = new JsonObject { ["action"] = "request_device", ["value"] = value },
            },
            ["trigger"] = "manual",
        };
        using var response = await PostAsync(invoke);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("application/vnd.microsoft.activity.message", answer.GetProperty("type").GetString());
        return answer.GetProperty("value").GetString()!;
    }

    /// <summary>"device" in Teams, then the profile and the device's signed answer.</summary>
    private async Task RegisterAsync()
    {
        var answer = (await SayAsync("device")).Body.GetRawText();
        var token = DeviceToken().Match(answer) is { Success: true } match ? match.Groups["token"].Value : throw new Xunit.Sdk.XunitException(answer);
        using var phone = _app.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", DeviceHost.SafariOnIPhone);
        var profile = Plist.ParseDictionary(await phone.GetByteArrayAsync($"/d/{token}/profile"));
        var challenge = ((PlistDictionary)profile["PayloadContent"]).GetString("Challenge")!;
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var device = new HttpClient(handler) { BaseAddress = _client.BaseAddress };
        using var content = new ByteArrayContent(_devices.Answer(TestDevices.Attributes(TestDevices.Udid, challenge)));
        content.Headers.ContentType = new("application/pkcs7-signature");
        using var enrolled = await device.PostAsync($"/d/{token}/enroll", content);
        Assert.Equal(HttpStatusCode.MovedPermanently, enrolled.StatusCode);
    }

    private async Task<long> UploadAsync(PlistDictionary profile, string name)
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(profile)).WithInfoString("Marker", name);
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

    [GeneratedRegex(@"/d/(?<token>[A-Za-z0-9_-]{22})")]
    private static partial Regex DeviceToken();
}
