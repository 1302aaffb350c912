using System.Security.Cryptography.Pkcs;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

public sealed class ProvisioningProfileTests
{
    public static TheoryData<string, ProvisioningProfileType> Profiles => new()
    {
        { nameof(TestProfiles.Development), ProvisioningProfileType.Development },
        { nameof(TestProfiles.AdHoc), ProvisioningProfileType.AdHoc },
        { nameof(TestProfiles.Enterprise), ProvisioningProfileType.Enterprise },
        { nameof(TestProfiles.AppStore), ProvisioningProfileType.AppStore },
    };

    private static PlistDictionary Named(string name) => name switch
    {
        nameof(TestProfiles.Development) => TestProfiles.Development(),
        nameof(TestProfiles.AdHoc) => TestProfiles.AdHoc(),
        nameof(TestProfiles.Enterprise) => TestProfiles.Enterprise(),
        _ => TestProfiles.AppStore(),
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void SignedProfileIsClassified(string profile, ProvisioningProfileType expected)
    {
        var summary = ProvisioningProfileReader.Read(TestProfiles.Sign(Named(profile)));

        Assert.Equal(expected, summary.Type);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void IndefiniteLengthBerProfileReadsLikeItsDerTwin(string profile, ProvisioningProfileType expected)
    {
        var der = TestProfiles.Sign(Named(profile));
        var ber = TestProfiles.ToIndefiniteLengthBer(der);
        Assert.Equal([0x30, 0x80], ber[..2]);

        Assert.Equal(ProvisioningProfileReader.Read(der), ProvisioningProfileReader.Read(ber));
        Assert.Equal(expected, ProvisioningProfileReader.Read(ber).Type);
    }

    [Fact]
    public void AdHocProfileExposesItsNamesDatesAndDevices()
    {
        var summary = ProvisioningProfileReader.Read(TestProfiles.Sign(TestProfiles.AdHoc()));

        Assert.Equal(new ProvisioningProfileSummary(
            ProvisioningProfileType.AdHoc,
            "Ad Hoc Profile",
            "Example Corp & Sons",
            "A1B2C3D4E5",
            new DateTimeOffset(2026, 1, 15, 9, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2027, 1, 15, 9, 30, 0, TimeSpan.Zero),
            DeviceCount: 3,
            ProvisionsAllDevices: false,
            GetTaskAllow: false,
            BetaReportsActive: false) { ProvisionedDevices = ["00008030-001A2B3C4D5E6F70", "00008101-000A1B2C3D4E5F60", "00008110-000123456789ABCD"] }, summary);
    }

    [Fact]
    public void EnterpriseProfileProvisionsAllDevicesWithoutAList()
    {
        var summary = ProvisioningProfileReader.Read(TestProfiles.Sign(TestProfiles.Enterprise()));

        Assert.True(summary.ProvisionsAllDevices);
        Assert.Equal(0, summary.DeviceCount);
    }

    [Fact]
    public void DevelopmentWinsOverADeviceList()
    {
        var summary = ProvisioningProfileReader.Read(TestProfiles.Sign(TestProfiles.Development()));

        Assert.Equal((ProvisioningProfileType.Development, true, 2), (summary.Type, summary.GetTaskAllow, summary.DeviceCount));
    }

    [Fact]
    public void ProfileWithNoDistinguishingKeysIsUnknown()
    {
        Assert.Equal(ProvisioningProfileType.Unknown, ProvisioningProfileReader.Read(TestProfiles.Sign(TestProfiles.Profile("Odd"))).Type);
    }

    [Fact]
    public void TeamIdFallsBackToTheEntitlementsWhenTeamIdentifierIsMissing()
    {
        var profile = TestProfiles.AdHoc();
        profile.Remove("TeamIdentifier");

        Assert.Equal("A1B2C3D4E5", ProvisioningProfileReader.Read(TestProfiles.Sign(profile)).TeamId);
    }

    [Fact]
    public void BareXmlAndBinaryProfilesAreReadWithoutAnEnvelope()
    {
        Assert.Equal(ProvisioningProfileType.AdHoc, ProvisioningProfileReader.Read(Plist.ToXml(TestProfiles.AdHoc())).Type);
        Assert.Equal(ProvisioningProfileType.Enterprise, ProvisioningProfileReader.Read(Plist.ToBinary(TestProfiles.Enterprise())).Type);
    }

    [Fact]
    public void EnvelopeAroundSomethingOtherThanAPlistIsInvalid()
    {
        var error = Assert.Throws<IpaRejectedException>(() => ProvisioningProfileReader.Read(TestProfiles.SignContent("hello"u8.ToArray())));

        Assert.Equal(IpaRejectionReason.InvalidProfile, error.Reason);
    }

    [Fact]
    public void EnvelopeAroundANonDictionaryPlistIsInvalid()
    {
        var content = Plist.ToXml(new PlistArray(["not", "a", "profile"]));

        var error = Assert.Throws<IpaRejectedException>(() => ProvisioningProfileReader.Read(TestProfiles.SignContent(content)));

        Assert.Equal(IpaRejectionReason.InvalidProfile, error.Reason);
    }

    [Fact]
    public void TruncatedEnvelopeIsInvalid()
    {
        var der = TestProfiles.Sign(TestProfiles.AdHoc());

        var error = Assert.Throws<IpaRejectedException>(() => ProvisioningProfileReader.Read(der.AsMemory(..(der.Length / 2))));

        Assert.Equal(IpaRejectionReason.InvalidProfile, error.Reason);
    }

    [Fact]
    public void BerVariantIsStillAValidSignedMessage()
    {
        var ber = TestProfiles.ToIndefiniteLengthBer(TestProfiles.Sign(TestProfiles.AdHoc()));
        var cms = new SignedCms();
        cms.Decode(ber);

        cms.CheckSignature(verifySignatureOnly: true);
    }

    [Fact]
    public async Task ProfilesInsideAnIpaAreReportedWithTheInspection()
    {
        using var ipa = new TestIpaBuilder().WithProfile(TestProfiles.ToIndefiniteLengthBer(TestProfiles.Sign(TestProfiles.Enterprise()))).BuildStream();

        var result = await IpaInspector.InspectAsync(ipa);

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(ProvisioningProfileType.Enterprise, result.Inspection.Profile?.Type);
        Assert.Equal("In House Profile", result.Inspection.Profile?.Name);
    }
}
