using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Devices;

namespace ChatOpsBot.Tests.Devices;

/// <summary>Registering missing devices through App Store Connect's API, against a fake that checks the JWT as Apple does.</summary>
public sealed class AppStoreConnectTests : IAsyncLifetime, IDisposable
{
    private const string Bob = "00008140-000A1B2C3D4E8001";
    private const string Carol = "00008140-000A1B2C3D4E8002";
    private const string Dave = "00008140-000A1B2C3D4E8003";
    private const string InProfile = "00008030-001A2B3C4D5E6F70";

    private readonly TestDevices _devices = new();
    private FakeAppStoreConnect _apple = null!;

    public async Task InitializeAsync() => _apple = await FakeAppStoreConnect.StartAsync();

    public async Task DisposeAsync() => await _apple.DisposeAsync();

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task TheApiRegistersEveryMissingDeviceWithAValidTokenAndTurnsAppleAnswersIntoSentences()
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("chatopsbot-asc-").FullName, "AuthKey_2X9R4HXF34.p8");
        await File.WriteAllTextAsync(keyFile, _apple.PrivateKeyPem);
        await using var host = await StartAsync(_apple.Settings(privateKey: keyFile));
        var buildId = await RegisterEveryoneAsync(host);
        _apple.Answers[Bob] = FakeAppStoreConnect.AlreadyExists;
        _apple.Answers[Carol] = FakeAppStoreConnect.LimitReached;
        _apple.Answers[Dave] = FakeAppStoreConnect.Invalid;

        using var api = host.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var response = await api.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { buildId });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        var outcomes = answer.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("udid").GetString()!, d => d.GetProperty("outcome").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            [TestDevices.Udid] = "registered", [Bob] = "alreadyRegistered", [Carol] = "limitReached", [Dave] = "invalidUdid",
        }, outcomes);
        var messages = string.Join("\n", answer.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("message").GetString()));
        Assert.Contains("already registered in App Store Connect", messages, StringComparison.Ordinal);
        Assert.Contains("the team has reached Apple's device limit", messages, StringComparison.Ordinal);
        Assert.Contains("Apple says its UDID is not valid", messages, StringComparison.Ordinal);
        Assert.Contains("regenerate the ad-hoc or development profile", answer.GetProperty("next").GetString(), StringComparison.Ordinal);

        // Every call carried a token Apple would take, minted on the host's clock, and the device in the profile was left out.
        Assert.Equal(4, _apple.Calls.Count);
        Assert.All(_apple.Calls, c => Assert.Empty(c.Problems));
        Assert.All(_apple.Calls, c => Assert.Equal("IOS", c.Platform));
        Assert.DoesNotContain(_apple.Calls, c => c.Udid == InProfile);
        Assert.Equal("alice iPhone 15 Pro", _apple.Calls.Single(c => c.Udid == TestDevices.Udid).Name);
        Assert.All(_apple.Calls, c => Assert.True(c.Claims.GetProperty("exp").GetInt64() - c.Claims.GetProperty("iat").GetInt64() <= 1200));
        Assert.DoesNotContain(host.App.Logs, l => l.Contains(Carol, StringComparison.OrdinalIgnoreCase) || l.Contains("BEGIN PRIVATE KEY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheApiRefusesUploadersMissingBuildsAndUnknownBuildsWithProblemDetailsAndAHostWithoutAppleSays501()
    {
        await using (var host = await StartAsync(_apple.Settings()))
        {
            var buildId = await RegisterEveryoneAsync(host);
            using var uploader = host.App.CreateClient(ChatOpsBotApplication.UploaderKey);
            using var admin = host.App.CreateClient(ChatOpsBotApplication.AdminKey);
            using var forbidden = await uploader.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { buildId });
            using var noBuild = await admin.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { });
            using var unknown = await admin.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { buildId = 999 });

            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, noBuild.StatusCode);
            Assert.Equal("application/problem+json", noBuild.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
            Assert.Empty(_apple.Calls);
        }

        await using var without = await DeviceHost.StartAsync();
        using var api = without.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var notConfigured = await api.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { buildId = 1 });
        Assert.Equal(HttpStatusCode.NotImplemented, notConfigured.StatusCode);
        Assert.Contains("ChatOpsBot:AppStoreConnect:IssuerId", await notConfigured.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The OpenAPI description names the operation and its answers.
        var document = await without.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var operation = document.GetProperty("paths").GetProperty("/api/v1/devices/app-store-connect").GetProperty("post");
        Assert.All(["200", "400", "404", "409", "501"], status => Assert.True(operation.GetProperty("responses").TryGetProperty(status, out _), status));
    }

    [Fact]
    public async Task ReleaseManagersRegisterFromTheDevicesListInChatAndOthersCannot()
    {
        await using var host = await StartAsync(_apple.Settings());
        var buildId = await RegisterEveryoneAsync(host);
        _apple.Answers[Carol] = FakeAppStoreConnect.LimitReached;

        var listed = await host.CommandAsync("/devices", "demo beta", userId: SlackEndToEndHost.ReleaseManager);
        Assert.Contains("\"action_id\":\"register_asc\"", listed, StringComparison.Ordinal);
        Assert.Contains("Register in App Store Connect", listed, StringComparison.Ordinal);

        var refused = await PressAsync(host, "U0ALICE", buildId, "alice");
        Assert.Contains("only release managers can register devices", refused, StringComparison.Ordinal);
        Assert.Empty(_apple.Calls);

        var answer = await PressAsync(host, SlackEndToEndHost.ReleaseManager, buildId, "rm");
        Assert.Contains("3 of 4 devices are in App Store Connect now.", answer, StringComparison.Ordinal);
        Assert.Contains("registered in App Store Connect.", answer, StringComparison.Ordinal);
        Assert.Contains("device limit", answer, StringComparison.Ordinal);
        Assert.Contains("Existing profiles do not change: regenerate", answer, StringComparison.Ordinal);
        Assert.Equal(4, _apple.Calls.Count);
        Assert.All(_apple.Calls, c => Assert.Empty(c.Problems));
    }

    [Fact]
    public async Task AnAppleThatDoesNotAnswerInTimeIsAFailureWithASentenceNotAnException()
    {
        // HttpClient's own deadline surfaces as TaskCanceledException while the caller's token is not cancelled.
        using var http = new HttpClient(new TimingOutHandler());
        var options = Microsoft.Extensions.Options.Options.Create(new ChatOpsBot.Features.Devices.AppStoreConnectOptions
        {
            IssuerId = "issuer", KeyId = "KEY123", PrivateKey = _apple.PrivateKeyPem, BaseUrl = "http://127.0.0.1:9",
        });
        var client = new ChatOpsBot.Features.Devices.AppStoreConnectClient(http, options, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ChatOpsBot.Features.Devices.AppStoreConnectClient>.Instance);

        var (outcome, detail) = await client.RegisterAsync("Ada's iPhone", "00008030-001A2B3C4D5E6F70", CancellationToken.None);

        Assert.Equal(ChatOpsBot.Core.Chat.AppleRegistrationOutcome.Failed, outcome);
        Assert.Equal("App Store Connect did not answer in time", detail);
    }

    private sealed class TimingOutHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.", new TimeoutException());
    }

    [Fact]
    public async Task TheTokenExpiresTenMinutesAfterTheHostsNow()
    {
        await using var host = await StartAsync(_apple.Settings());
        var buildId = await RegisterEveryoneAsync(host);
        host.App.Clock.Advance(TimeSpan.FromDays(3));

        using var api = host.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var response = await api.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { buildId });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = _apple.Calls.First();
        Assert.Empty(call.Problems);
        Assert.Equal(host.App.Clock.GetUtcNow().ToUnixTimeSeconds(), call.Claims.GetProperty("iat").GetInt64());
        Assert.Equal(600, call.Claims.GetProperty("exp").GetInt64() - call.Claims.GetProperty("iat").GetInt64());
    }

    [Fact]
    public async Task ATokenSignedWithAnotherKeyIsRefusedByTheFakeAndReportedAsNotRegistered()
    {
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await using var host = await StartAsync(_apple.Settings(privateKey: other.ExportPkcs8PrivateKeyPem()));
        var buildId = await RegisterEveryoneAsync(host);

        using var api = host.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);
        using var response = await api.PostAsJsonAsync("/api/v1/devices/app-store-connect", new { buildId });

        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.All(answer.GetProperty("devices").EnumerateArray(), d => Assert.Equal("failed", d.GetProperty("outcome").GetString()));
        Assert.Contains("Apple answered 401", answer.GetProperty("devices")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("next").ValueKind);
        Assert.All(_apple.Calls, c => Assert.Contains("the ES256 signature does not verify with the key's public half", c.Problems));
    }

    [Theory]
    [InlineData("ChatOpsBot__AppStoreConnect__KeyId", "", "ChatOpsBot:AppStoreConnect:KeyId is required when ChatOpsBot:AppStoreConnect:IssuerId is set.")]
    [InlineData("ChatOpsBot__AppStoreConnect__PrivateKey", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----", "ChatOpsBot:AppStoreConnect:PrivateKey cannot be used")]
    [InlineData("ChatOpsBot__AppStoreConnect__BaseUrl", "http://api.example.com", "ChatOpsBot:AppStoreConnect:BaseUrl must be an https URL")]
    [InlineData("ChatOpsBot__Devices__RequestsConversation", "C0REQUESTS", "ChatOpsBot:Devices:RequestsConversation must be slack:<channel id> or teams:<conversation id>.")]
    public async Task IncompleteOrUnreadableSettingsStopTheHostNamingTheKey(string variable, string value, string message)
    {
        var settings = new Dictionary<string, string>
        {
            ["ChatOpsBot__AppStoreConnect__IssuerId"] = FakeAppStoreConnect.IssuerId,
            ["ChatOpsBot__AppStoreConnect__KeyId"] = FakeAppStoreConnect.KeyId,
            ["ChatOpsBot__AppStoreConnect__PrivateKey"] = _apple.PrivateKeyPem,
            [variable] = value,
        };

        var (exit, output) = await HostProcess.RunUntilExitAsync(settings);

        Assert.Equal(1, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LWJ1dC1ub3QtYS1rZXk", output, StringComparison.Ordinal);
    }

    private async Task<DeviceHost> StartAsync(Dictionary<string, string?> settings)
    {
        var host = await DeviceHost.StartAsync(settings);
        _apple.Now = host.App.Clock.GetUtcNow;
        return host;
    }

    /// <summary>An ad-hoc build, four people whose devices it lacks and one whose device it has; the build's id.</summary>
    private async Task<long> RegisterEveryoneAsync(DeviceHost host)
    {
        var buildId = await host.UploadAsync("demo", TestProfiles.AdHoc());
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, userId: "U0BOB", udid: Bob);
        await host.RegisterAsync(_devices, userId: "U0CAROL", udid: Carol);
        await host.RegisterAsync(_devices, userId: "U0DAVE", udid: Dave);
        await host.RegisterAsync(_devices, userId: "U0ERIN", udid: InProfile);
        return buildId;
    }

    private static async Task<string> PressAsync(DeviceHost host, string userId, long buildId, string hook)
    {
        var payload = new
        {
            type = "block_actions",
            team = new { id = "T0WORK", domain = "work" },
            user = new { id = userId, username = "rm", team_id = "T0WORK" },
            api_app_id = "A0APP",
            container = new { type = "message", message_ts = "1.2", channel_id = host.View.General, is_ephemeral = true },
            channel = new { id = host.View.General, name = "general" },
            response_url = host.View.ResponseUrl($"actions/T0WORK/asc-{hook}"),
            actions = new[] { new { type = "button", action_id = "register_asc", block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        };
        using var pressed = await host.View.InteractionAsync(payload);
        Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        var call = await host.Slack.CallAsync(c => c.Path.EndsWith("asc-" + hook, StringComparison.Ordinal));
        return DeviceHost.Strings(call.Body);
    }
}
