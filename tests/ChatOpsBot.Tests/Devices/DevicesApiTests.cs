using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOpsBot.Core.Tests.Builds;
using ChatOpsBot.Core.Tests.Devices;

namespace ChatOpsBot.Tests.Devices;

public sealed class DevicesApiTests : IDisposable
{
    private const string BobsUdid = "00008030-001A2B3C4D5E6F70";

    private readonly TestDevices _devices = new();

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task ReleaseManagersAndAdminsGetEveryRegisteredDeviceAsJson()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, userId: "U0BOB", udid: BobsUdid);

        foreach (var key in new[] { ChatOpsBotApplication.ReleaseManagerKey, ChatOpsBotApplication.AdminKey })
        {
            using var api = host.App.CreateClient(key);
            var devices = await api.GetFromJsonAsync<JsonElement>("/api/v1/devices");

            Assert.Equal(2, devices.GetArrayLength());
            var alice = devices[0];
            Assert.Equal(TestDevices.Udid, alice.GetProperty("udid").GetString());
            Assert.Equal("iPhone 15 Pro (iOS 18.1)", alice.GetProperty("name").GetString());
            Assert.Equal("iPhone 15 Pro", alice.GetProperty("model").GetString());
            Assert.Equal("F2LXK0ABCDEF", alice.GetProperty("serial").GetString());
            Assert.Equal("U0ALICE", alice.GetProperty("owner").GetProperty("userId").GetString());
            Assert.Equal("slack", alice.GetProperty("owner").GetProperty("platform").GetString());
            Assert.Equal(BobsUdid, devices[1].GetProperty("udid").GetString());
        }
    }

    [Fact]
    public async Task FormatAppleIsApplesBulkUploadFileAsAnAttachment()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        using var api = host.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);

        using var response = await api.GetAsync("/api/v1/devices?format=apple");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("Device ID\tDevice Name\tDevice Platform\n" + TestDevices.Udid + "\talice iPhone 15 Pro\tios\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MissingFromListsOnlyDevicesTheBuildsProfileDoesNotInclude()
    {
        await using var host = await DeviceHost.StartAsync();
        var buildId = await host.UploadAsync("demo", TestProfiles.Profile("Ad Hoc", devices: [BobsUdid.ToLowerInvariant()]));
        var enterpriseId = await host.UploadAsync("demo", TestProfiles.Enterprise(), channel: "inhouse");
        await host.RegisterAsync(_devices);
        await host.RegisterAsync(_devices, userId: "U0BOB", udid: BobsUdid);
        using var api = host.App.CreateClient(ChatOpsBotApplication.ReleaseManagerKey);

        var missing = await api.GetFromJsonAsync<JsonElement>($"/api/v1/devices?missingFrom={buildId}");
        var apple = await api.GetStringAsync($"/api/v1/devices?format=apple&missingFrom={buildId}");
        using var unknown = await api.GetAsync("/api/v1/devices?missingFrom=999999");
        using var enterprise = await api.GetAsync($"/api/v1/devices?missingFrom={enterpriseId}");
        using var badFormat = await api.GetAsync("/api/v1/devices?format=csv");

        Assert.Equal([TestDevices.Udid], missing.EnumerateArray().Select(d => d.GetProperty("udid").GetString()));
        Assert.DoesNotContain(BobsUdid, apple, StringComparison.Ordinal);
        Assert.Contains(TestDevices.Udid, apple, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Conflict, enterprise.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badFormat.StatusCode);
    }

    [Fact]
    public async Task KeysWithoutTheRoleAndRequestsWithoutAKeyAreRefused()
    {
        await using var host = await DeviceHost.StartAsync();
        await host.RegisterAsync(_devices);
        using var uploader = host.App.CreateClient(ChatOpsBotApplication.UploaderKey);
        using var anonymous = host.App.CreateLoopbackClient();

        using var forbidden = await uploader.GetAsync("/api/v1/devices");
        using var unauthorized = await anonymous.GetAsync("/api/v1/devices?format=apple");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.DoesNotContain(TestDevices.Udid, await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(TestDevices.Udid, await unauthorized.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
