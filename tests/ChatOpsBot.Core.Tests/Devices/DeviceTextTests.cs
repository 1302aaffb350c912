using ChatOpsBot.Core.Devices;

namespace ChatOpsBot.Core.Tests.Devices;

public sealed class DeviceTextTests
{
    [Theory]
    [InlineData("iPhone16,1", "18.1", "iPhone 15 Pro (iOS 18.1)")]
    [InlineData("iPhone17,3", "18.2.1", "iPhone 16 (iOS 18.2.1)")]
    [InlineData("iPhone99,1", "26.0", "iPhone (iPhone99,1) (iOS 26.0)")]
    [InlineData("iPad13,4", "17.5", "iPad (iPad13,4) (iPadOS 17.5)")]
    [InlineData("iPhone16,1", "22B83", "iPhone 15 Pro (iOS build 22B83)")]
    [InlineData(null, null, "Apple device")]
    [InlineData("iPhone16,1", "", "iPhone 15 Pro")]
    public void DevicesAreNamedByModelAndSystem(string? product, string? version, string expected) =>
        Assert.Equal(expected, DeviceNames.Describe(product, version));

    [Theory]
    [InlineData("00008030-001A2B3C4D5E6F70", true)]
    [InlineData("00008030001A2B3C4D5E6F70", true)]
    [InlineData("2b6f0cc904d137be2e1730235f5664094b831186", true)]
    [InlineData("12345678-1234-1234-1234-123456789ABC", true)]
    [InlineData("00008030-001A2B3C4D5E6F7G", false)]
    [InlineData("0000803-001A2B3C4D5E6F70", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void UdidShapesAreThoseAppleHasUsed(string? udid, bool valid) => Assert.Equal(valid, Udid.IsValid(udid));

    [Fact]
    public void UdidsAreTheSameDeviceWhateverTheCaseAndHyphen()
    {
        Assert.True(Udid.SameDevice("00008030-001a2b3c4d5e6f70", "00008030001A2B3C4D5E6F70"));
        Assert.False(Udid.SameDevice("00008030-001A2B3C4D5E6F70", "00008030-001A2B3C4D5E6F71"));
    }

    [Fact]
    public void AppleListHasItsHeaderOneTabSeparatedLinePerDeviceAndCleanNames()
    {
        var text = AppleDeviceList.Write(
        [
            new("00008030-001A2B3C4D5E6F70", "Ada's iPhone 15 Pro"),
            new("00008030001a2b3c4d5e6f70", "the same device again"),
            new("not-a-udid", "skipped"),
            new("00008101-000A1B2C3D4E5F60", "Grace\tHopper\n" + new string('x', 80)),
        ]);

        var lines = text.Split('\n');
        Assert.Equal("Device ID\tDevice Name\tDevice Platform", lines[0]);
        Assert.Equal("00008030-001A2B3C4D5E6F70\tAda's iPhone 15 Pro\tios", lines[1]);
        var last = lines[2].Split('\t');
        Assert.Equal(["00008101-000A1B2C3D4E5F60", ("Grace Hopper " + new string('x', 80))[..50], "ios"], last);
        Assert.Equal("", lines[3]);
        Assert.Equal(4, lines.Length);
    }
}
