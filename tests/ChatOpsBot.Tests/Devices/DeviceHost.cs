using System.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Devices;
using ChatOpsBot.Data;
using ChatOpsBot.PropertyList;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Devices;

/// <summary>A host of the test's own with a fake Slack, and the steps of registering a device through it.</summary>
internal sealed partial class DeviceHost : IAsyncDisposable
{
    public const string SafariOnIPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

    private DeviceHost(FakeSlackApi slack, ChatOpsBotApplication app)
    {
        Slack = slack;
        App = app;
        Client = app.CreateLoopbackClient();
        View = new SlackEndToEndHost.View(slack, () => App, () => Client, null);
    }

    public FakeSlackApi Slack { get; }

    public ChatOpsBotApplication App { get; }

    public HttpClient Client { get; }

    public SlackEndToEndHost.View View { get; }

    public static async Task<DeviceHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var slack = await FakeSlackApi.StartAsync();
        return new DeviceHost(slack, new ChatOpsBotApplication(ChatOpsBotApplication.WithApiKeys(SlackEndToEndHost.Settings(slack, settings))));
    }

    /// <summary>A slash command typed by <paramref name="userId"/> (Alice by default), answered inline.</summary>
    public async Task<string> CommandAsync(string command, string text, string? userId = null)
    {
        using var response = await View.PostAsync("/slack/commands", View.SlashCommand(command, text, userId: userId), "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>"/device" as the person types it: the token of the personal link the answer carries.</summary>
    public async Task<string> DeviceLinkTokenAsync(string? userId = null)
    {
        var answer = await CommandAsync("/device", "", userId);
        var match = DeviceLink().Match(answer);
        Assert.True(match.Success, answer);
        return match.Groups["token"].Value;
    }

    public HttpClient Phone()
    {
        var phone = App.CreateLoopbackClient();
        phone.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", SafariOnIPhone);
        return phone;
    }

    /// <summary>The challenge of the link's profile, read as iOS reads it.</summary>
    public async Task<string> ChallengeAsync(string token)
    {
        using var phone = Phone();
        var profile = Plist.ParseDictionary(await phone.GetByteArrayAsync($"/d/{token}/profile"));
        return ((PlistDictionary)profile["PayloadContent"]).GetString("Challenge")!;
    }

    /// <summary>What iOS does after Install: posts the signed answer, as the system does (no cookies, Profile/1.0).</summary>
    public async Task<HttpResponseMessage> PostAnswerAsync(string token, byte[] body)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var device = new HttpClient(handler) { BaseAddress = Client.BaseAddress };
        device.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "Profile/1.0");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/pkcs7-signature");
        return await device.PostAsync($"/d/{token}/enroll", content);
    }

    /// <summary>The whole registration for a person: "/device", the profile, the device's answer.</summary>
    public async Task RegisterAsync(TestDevices devices, string? userId = null, string udid = TestDevices.Udid)
    {
        var token = await DeviceLinkTokenAsync(userId);
        var challenge = await ChallengeAsync(token);
        using var response = await PostAnswerAsync(token, devices.Answer(TestDevices.Attributes(udid, challenge)));
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
    }

    public List<Device> Devices()
    {
        using var scope = App.Services.CreateScope();
        return [.. scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Devices.OrderBy(d => d.Id)];
    }

    /// <summary>Uploads a build of app <paramref name="slug"/> signed with <paramref name="profile"/>; its id.</summary>
    public async Task<long> UploadAsync(string slug, PlistDictionary profile, string channel = "beta")
    {
        var builder = new TestIpaBuilder().WithProfile(TestProfiles.Sign(profile));
        using var api = App.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(channel), "channel" },
            { new StringContent(slug), "app" },
            { new ByteArrayContent(builder.Build()), "file", "Demo.ipa" },
        };
        using var response = await api.PostAsync("/api/v1/builds", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Slack.DisposeAsync();
    }

    /// <summary>Every string in a JSON answer, one a line: what the person reads, unescaped.</summary>
    public static string Strings(string json)
    {
        var all = new StringBuilder();
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    all.Append(e.GetString()).Append('\n');
                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                        Walk(p.Value);
                    break;
                case JsonValueKind.Array:
                    foreach (var i in e.EnumerateArray())
                        Walk(i);
                    break;
            }
        }
        Walk(JsonDocument.Parse(json).RootElement);
        return all.ToString();
    }

    [GeneratedRegex(@"https://ota\.example\.test/d/(?<token>[A-Za-z0-9_-]{22})")]
    public static partial Regex DeviceLink();
}
