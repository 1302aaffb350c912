using System.Diagnostics;
using System.Security.Cryptography.Pkcs;
using ChatOpsBot.Core.Devices;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Devices;

public sealed class ProfileServiceTests
{
    private static readonly Uri Enroll = new("https://ota.example.com/d/abc123/enroll");

    [Fact]
    public void ProfileAsksIosToPostItsAttributesToTheLinksEnrolAddress()
    {
        var profile = Plist.ParseDictionary(ProfileService.Create(Enroll, "challenge-1", Guid.Parse("4B7C0D2E-1F3A-4C5B-8D6E-7F8091A2B3C4"), "com.example.chatopsbot.device", "Example & Co"));

        Assert.Equal("Profile Service", profile.GetString("PayloadType"));
        Assert.Equal(1, (long)((PlistInteger)profile["PayloadVersion"]).Value);
        Assert.Equal("4B7C0D2E-1F3A-4C5B-8D6E-7F8091A2B3C4", profile.GetString("PayloadUUID"));
        Assert.Equal("Example & Co", profile.GetString("PayloadOrganization"));
        var content = profile.GetDictionary("PayloadContent")!;
        Assert.Equal(Enroll.AbsoluteUri, content.GetString("URL"));
        Assert.Equal("challenge-1", content.GetString("Challenge"));
        Assert.Equal(["UDID", "PRODUCT", "VERSION", "SERIAL"], content.GetStrings("DeviceAttributes"));
    }

    [Fact]
    public void ProfileIsReadByLibplistAsTheSameDocument()
    {
        var xml = ProfileService.Create(Enroll, "c", Guid.NewGuid(), "com.example.chatopsbot.device", "Tom & Jerry <Inc>");
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, xml);
            using var plistutil = Process.Start(new ProcessStartInfo("plistutil", ["-i", path, "-f", "xml"]) { RedirectStandardOutput = true })!;
            var output = plistutil.StandardOutput.ReadToEnd();
            plistutil.WaitForExit();
            Assert.Equal(0, plistutil.ExitCode);
            Assert.True(PlistValue.DeepEquals(Plist.Parse(xml), Plist.Parse(System.Text.Encoding.UTF8.GetBytes(output))));
            Assert.Contains("Tom &amp; Jerry &lt;Inc&gt;", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SignedProfileCarriesTheProfileAndTheChainButNotTheRoot()
    {
        using var devices = new TestDevices();
        using var signer = TestDevices.Issue(devices.DeviceCa, "CN=ota.example.com");
        var xml = ProfileService.Create(Enroll, "c", Guid.NewGuid(), "com.example.chatopsbot.device", "Example");

        var signed = ProfileService.Sign(xml, signer, [devices.DeviceCa, devices.Root]);

        var cms = new SignedCms();
        cms.Decode(signed);
        cms.CheckSignature(verifySignatureOnly: true);
        Assert.Equal(xml, cms.ContentInfo.Content);
        Assert.Equal(new[] { signer.Thumbprint, devices.DeviceCa.Thumbprint }.Order(), cms.Certificates.Select(c => c.Thumbprint).Order());
    }
}
