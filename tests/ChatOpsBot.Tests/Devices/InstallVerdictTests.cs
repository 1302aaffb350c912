using System.Globalization;
using System.Net;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Devices;

namespace ChatOpsBot.Tests.Devices;

public sealed class InstallVerdictTests : IDisposable
{
    private const string NotInProfile = "Your iPhone 15 Pro is not in this build's profile, so iOS will refuse to install it.";
    private const string Hint = "send me \"device\"";

    private readonly TestDevices _devices = new();

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task InstallOfAnAdHocBuildWithoutThePersonsDeviceSaysSoPlainlyAndStillGivesTheLink()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.UploadAsync("demo", TestProfiles.AdHoc());
        await host.RegisterAsync(_devices);

        var answer = DeviceHost.Strings(await host.CommandAsync("/install", "demo beta"));

        Assert.Contains(NotInProfile, answer, StringComparison.Ordinal);
        Assert.Contains("https://ota.example.test/i/", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(Hint, answer, StringComparison.Ordinal);

        // The install page says the same, above the Install button.
        var url = new Uri(answer.Split('\n').First(l => l.StartsWith("https://ota.example.test/i/", StringComparison.Ordinal)).Split(' ')[0]);
        using var phone = host.Phone();
        var page = await phone.GetStringAsync(url.AbsolutePath);
        var warning = page.IndexOf("id=\"device-warning\"", StringComparison.Ordinal);
        Assert.InRange(warning, 0, page.IndexOf("id=\"install\"", StringComparison.Ordinal));
        Assert.Contains("Your iPhone 15 Pro is not in this build’s profile".Replace('’', '\''), System.Net.WebUtility.HtmlDecode(page), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ad hoc")]
    [InlineData("development")]
    public async Task InstallOfABuildWhoseProfileHasThePersonsDeviceInAnotherSpellingSaysItIsIn(string type)
    {
        await using var host = await DeviceHost.StartAsync();
        await host.UploadAsync("demo", TestProfiles.Profile(type, getTaskAllow: type == "development", devices: ["00008130000a1b2c3d4e801e"]));
        await host.RegisterAsync(_devices);

        var answer = DeviceHost.Strings(await host.CommandAsync("/install", "demo beta"));

        Assert.Contains("Your iPhone 15 Pro is in this build's profile.", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("refuse", answer, StringComparison.Ordinal);
        using var phone = host.Phone();
        var url = answer.Split('\n').First(l => l.StartsWith("https://ota.example.test/i/", StringComparison.Ordinal)).Split(' ')[0];
        Assert.DoesNotContain("device-warning", await phone.GetStringAsync(new Uri(url).AbsolutePath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnterpriseBuildsAreNotChecked()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.UploadAsync("demo", TestProfiles.Enterprise());
        await host.RegisterAsync(_devices);

        var mine = DeviceHost.Strings(await host.CommandAsync("/install", "demo beta"));
        var bobs = DeviceHost.Strings(await host.CommandAsync("/install", "demo beta", userId: "U0BOB"));

        Assert.DoesNotContain("profile, so iOS", mine, StringComparison.Ordinal);
        Assert.DoesNotContain("in this build's profile", mine, StringComparison.Ordinal);
        Assert.DoesNotContain(Hint, bobs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APersonWithoutDevicesIsOfferedDeviceOnceWithoutLosingTheLink()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.UploadAsync("demo", TestProfiles.AdHoc());

        var first = DeviceHost.Strings(await host.CommandAsync("/install", "demo beta"));
        var second = DeviceHost.Strings(await host.CommandAsync("/install", "demo beta"));

        Assert.Contains(Hint, first, StringComparison.Ordinal);
        Assert.Contains("https://ota.example.test/i/", first, StringComparison.Ordinal);
        Assert.DoesNotContain(Hint, second, StringComparison.Ordinal);
        Assert.Contains("https://ota.example.test/i/", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetMyInstallLinkGivesEachPresserTheirOwnVerdict()
    {
        await using var host = await DeviceHost.StartAsync();
        var buildId = await host.UploadAsync("demo", TestProfiles.Profile("Ad Hoc", devices: ["00008030-001A2B3C4D5E6F70"]));
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, userId: "U0BOB", udid: "00008030-001A2B3C4D5E6F70");

        var alice = await PressAsync(host, "U0ALICE", buildId, "a1");
        var bob = await PressAsync(host, "U0BOB", buildId, "b1");

        Assert.Contains(NotInProfile, alice, StringComparison.Ordinal);
        Assert.DoesNotContain("refuse", bob, StringComparison.Ordinal);
        Assert.Contains("Your iPhone 15 Pro is in this build's profile.", bob, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReleaseManagersSeeWhichRegisteredDevicesTheNewestAdHocBuildLacksAndWhoseTheyAre()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.UploadAsync("demo", TestProfiles.Profile("Ad Hoc", devices: ["00008030-001A2B3C4D5E6F70"]));
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, userId: "U0BOB", udid: "00008030-001A2B3C4D5E6F70");

        var refused = DeviceHost.Strings(await host.CommandAsync("/devices", "demo beta"));
        var listed = DeviceHost.Strings(await host.CommandAsync("/devices", "demo beta", userId: SlackEndToEndHost.ReleaseManager));

        Assert.Contains("only release managers", refused, StringComparison.Ordinal);
        Assert.DoesNotContain(TestDevices.Udid, refused, StringComparison.Ordinal);
        Assert.Contains("iPhone 15 Pro (iOS 18.1) · alice", listed, StringComparison.Ordinal);
        Assert.Contains(TestDevices.Udid, listed, StringComparison.Ordinal);
        Assert.DoesNotContain("00008030-001A2B3C4D5E6F70", listed, StringComparison.Ordinal);
    }

    private static async Task<string> PressAsync(DeviceHost host, string userId, long buildId, string hook)
    {
        var payload = new
        {
            type = "block_actions",
            team = new { id = "T0WORK", domain = "work" },
            user = new { id = userId, username = userId.ToLowerInvariant(), team_id = "T0WORK" },
            api_app_id = "A0APP",
            container = new { type = "message", message_ts = "1.2", channel_id = host.View.General, is_ephemeral = false },
            channel = new { id = host.View.General, name = "general" },
            response_url = host.View.ResponseUrl($"actions/T0WORK/{hook}"),
            actions = new[] { new { type = "button", action_id = "get_link", block_id = "b1", value = buildId.ToString(CultureInfo.InvariantCulture), action_ts = "1.3" } },
        };
        using var pressed = await host.View.InteractionAsync(payload);
        Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        var call = await host.Slack.CallAsync(c => c.Path.EndsWith(hook, StringComparison.Ordinal));
        return DeviceHost.Strings(call.Body);
    }
}
