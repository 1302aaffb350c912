using System.Globalization;
using System.Net;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Devices;
using ChatOpsBot.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOpsBot.Tests.Devices;

/// <summary>"Ask to add my device" in Slack, from the install reply to the release managers and back to the person.</summary>
public sealed class DeviceRequestTests : IDisposable
{
    private const string Alice = "U0ALICE";

    private readonly TestDevices _devices = new();

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task AskToAddMyDeviceTellsEachReleaseManagerOnceWithModelAndUdidAndAnswersThePresserPrivately()
    {
        await using var host = await DeviceHost.StartAsync(new() { ["Slack:ReleaseManagers:1"] = "U0SECONDRM" });
        var buildId = await host.UploadAsync("demo", TestProfiles.AdHoc());
        await host.RegisterAsync(_devices);

        var install = await host.CommandAsync("/install", "demo beta");
        var button = RequestButton(install);
        Assert.Equal("Ask to add my device", button.GetProperty("text").GetProperty("text").GetString());
        Assert.Equal(buildId.ToString(CultureInfo.InvariantCulture), button.GetProperty("value").GetString());

        var first = await PressAsync(host, buildId, "first");
        Assert.Equal("ephemeral", first.GetProperty("response_type").GetString());
        Assert.Contains("I've asked the release managers to add your iPhone 15 Pro to Demo & Co's profile", DeviceHost.Strings(first.GetRawText()), StringComparison.Ordinal);
        await host.App.RunJobsAsync();

        var second = await PressAsync(host, buildId, "second");
        Assert.Contains("You've already asked for Demo & Co", DeviceHost.Strings(second.GetRawText()), StringComparison.Ordinal);
        await host.App.RunJobsAsync();

        var told = PostsTo(host, SlackEndToEndHost.ReleaseManager);
        Assert.Single(told);
        Assert.Single(PostsTo(host, "U0SECONDRM"));
        var text = WebUtility.HtmlDecode(DeviceHost.Strings(told[0].Body));
        Assert.Contains("alice asks to add their device to the profile of Demo & Co 1.4.2 (187) in beta", text, StringComparison.Ordinal);
        Assert.Contains("iPhone 15 Pro (iOS 18.1)", text, StringComparison.Ordinal);
        Assert.Contains("UDID " + TestDevices.Udid, text, StringComparison.Ordinal);
        Assert.Contains($"missingFrom={buildId}", text, StringComparison.Ordinal);
        // Nobody but the release managers gets the UDID, and no log line carries it.
        Assert.DoesNotContain(host.Slack.Calls, c => c.Path.EndsWith("chat.postMessage", StringComparison.Ordinal)
            && c.Json.GetProperty("channel").GetString() is not (SlackEndToEndHost.ReleaseManager or "U0SECONDRM"));
        Assert.DoesNotContain(host.App.Logs, l => l.Contains(TestDevices.Udid, StringComparison.OrdinalIgnoreCase)
            || l.Contains("00008130000A1B2C3D4E801E", StringComparison.OrdinalIgnoreCase));
        Assert.Single(Requests(host));
    }

    [Fact]
    public async Task WithARequestsConversationOneMessageGoesThereAndNoneToReleaseManagers()
    {
        await using var host = await DeviceHost.StartAsync(new() { ["ChatOpsBot:Devices:RequestsConversation"] = "slack:C0REQUESTS" });
        var buildId = await host.UploadAsync("demo", TestProfiles.AdHoc());
        await host.RegisterAsync(_devices);

        await PressAsync(host, buildId, "press");
        await host.App.RunJobsAsync();
        await host.App.RunJobsAsync();

        var posted = Assert.Single(PostsTo(host, "C0REQUESTS"));
        Assert.Contains("UDID " + TestDevices.Udid, DeviceHost.Strings(posted.Body), StringComparison.Ordinal);
        Assert.Empty(PostsTo(host, SlackEndToEndHost.ReleaseManager));
    }

    [Fact]
    public async Task NoButtonIsOfferedWhenTheDeviceIsInTheProfileAndPressingAnOldOneAsksNobody()
    {
        await using var host = await DeviceHost.StartAsync();
        var buildId = await host.UploadAsync("demo", TestProfiles.Profile("Ad Hoc", devices: [TestDevices.Udid]));
        await host.RegisterAsync(_devices);

        Assert.DoesNotContain("request_device", await host.CommandAsync("/install", "demo beta"), StringComparison.Ordinal);
        var pressed = await PressAsync(host, buildId, "press");
        await host.App.RunJobsAsync();

        Assert.Contains("Your device is in this build's profile: nothing to ask for.", DeviceHost.Strings(pressed.GetRawText()), StringComparison.Ordinal);
        Assert.Empty(PostsTo(host, SlackEndToEndHost.ReleaseManager));
        Assert.Empty(Requests(host));
    }

    [Fact]
    public async Task UploadingABuildWhoseProfileNowHasTheWaitingDeviceTellsThePersonOnceAndFulfilsTheRequest()
    {
        await using var host = await DeviceHost.StartAsync();
        var buildId = await host.UploadAsync("demo", TestProfiles.AdHoc());
        await host.RegisterAsync(_devices);
        await PressAsync(host, buildId, "press");
        await host.App.RunJobsAsync();

        // A build of another app, and one of this app still without the device, tell nobody.
        await host.UploadAsync("other", TestProfiles.Profile("Other Ad Hoc", devices: [TestDevices.Udid]));
        await host.UploadAsync("demo", TestProfiles.Profile("Still Without", devices: ["00008030-001A2B3C4D5E6F70"]));
        await host.App.RunJobsAsync();
        Assert.Empty(PostsTo(host, Alice));

        var withDevice = await host.UploadAsync("demo", TestProfiles.Profile("With Alice", devices: ["00008130000a1b2c3d4e801e"]));
        await host.App.RunJobsAsync();
        await host.UploadAsync("demo", TestProfiles.Profile("With Alice Again", devices: [TestDevices.Udid]));
        await host.App.RunJobsAsync();

        var told = Assert.Single(PostsTo(host, Alice));
        // What Slack shows: the mrkdwn texts unescaped.
        var text = WebUtility.HtmlDecode(DeviceHost.Strings(told.Body));
        Assert.Contains("A build you can install is here", text, StringComparison.Ordinal);
        Assert.Contains("Demo & Co 1.4.2 (187) in beta installs on your iPhone 15 Pro", text, StringComparison.Ordinal);
        Assert.Contains(withDevice.ToString(CultureInfo.InvariantCulture), told.Json.GetProperty("blocks").GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(TestDevices.Udid, text, StringComparison.Ordinal);
        var request = Assert.Single(Requests(host));
        Assert.Equal(withDevice, request.FulfilledBuildId);
        Assert.NotNull(request.FulfilledAt);

        // Fulfilled: the button asks anew, once.
        await PressAsync(host, buildId, "again");
        await host.App.RunJobsAsync();
        Assert.Equal(2, PostsTo(host, SlackEndToEndHost.ReleaseManager).Count);
    }

    [Fact]
    public async Task ForgettingTheLastDeviceDeletesTheWaitingRequest()
    {
        await using var host = await DeviceHost.StartAsync();
        var buildId = await host.UploadAsync("demo", TestProfiles.AdHoc());
        await host.RegisterAsync(_devices);
        await PressAsync(host, buildId, "press");
        Assert.Single(Requests(host));

        await host.CommandAsync("/devices", "forget iPhone 15 Pro (iOS 18.1)");
        await host.App.RunJobsAsync();

        Assert.Empty(Requests(host));
        Assert.Empty(PostsTo(host, SlackEndToEndHost.ReleaseManager));
    }

    private static JsonElement RequestButton(string answer)
    {
        foreach (var block in JsonDocument.Parse(answer).RootElement.GetProperty("blocks").EnumerateArray())
        {
            if (block.TryGetProperty("accessory", out var accessory) && accessory.GetProperty("action_id").GetString() == "request_device")
                return accessory.Clone();
        }
        throw new Xunit.Sdk.XunitException("The answer offers no \"Ask to add my device\" button: " + answer);
    }

    /// <summary>Alice presses "Ask to add my device"; the answer Slack got through the press's response_url.</summary>
    private static async Task<JsonElement> PressAsync(DeviceHost host, long buildId, string hook)
    {
        var payload = new
        {
            type = "block_actions",
            team = new { id = "T0WORK", domain = "work" },
            user = new { id = Alice, username = "alice", team_id = "T0WORK" },
            api_app_id = "A0APP",
            container = new { type = "message", message_ts = "1.2", channel_id = host.View.AliceDm, is_ephemeral = true },
            channel = new { id = host.View.AliceDm, name = "directmessage" },
            response_url = host.View.ResponseUrl($"actions/T0WORK/{hook}"),
            actions = new[] { new { type = "button", action_id = "request_device", block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        };
        using var pressed = await host.View.InteractionAsync(payload);
        Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        var call = await host.Slack.CallAsync(c => c.Path.EndsWith(hook, StringComparison.Ordinal));
        return call.Json.Clone();
    }

    private static List<FakeSlackCall> PostsTo(DeviceHost host, string channel) =>
        [.. host.Slack.Calls.Where(c => c.Path.EndsWith("chat.postMessage", StringComparison.Ordinal) && c.Json.GetProperty("channel").GetString() == channel)];

    private static List<DeviceRequest> Requests(DeviceHost host)
    {
        using var scope = host.App.Services.CreateScope();
        return [.. scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().DeviceRequests.AsNoTracking().OrderBy(r => r.Id)];
    }
}
