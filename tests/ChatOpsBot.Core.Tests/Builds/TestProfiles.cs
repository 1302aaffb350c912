using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

internal static class TestProfiles
{
    public static readonly DateTime Created = new(2026, 1, 15, 9, 30, 0, DateTimeKind.Utc);
    public static readonly DateTime Expires = new(2027, 1, 15, 9, 30, 0, DateTimeKind.Utc);

    public static PlistDictionary Development() => Profile("Dev Profile", getTaskAllow: true, devices: ["00008030-001A2B3C4D5E6F70", "00008101-000A1B2C3D4E5F60"]);

    public static PlistDictionary AdHoc() => Profile("Ad Hoc Profile", devices: ["00008030-001A2B3C4D5E6F70", "00008101-000A1B2C3D4E5F60", "00008110-000123456789ABCD"]);

    public static PlistDictionary Enterprise() => Profile("In House Profile", allDevices: true);

    public static PlistDictionary AppStore() => Profile("App Store Profile", betaReports: true);

    // The shape of a real profile (formats.md 6), with made-up identifiers.
    public static PlistDictionary Profile(string name, bool getTaskAllow = false, bool allDevices = false, bool betaReports = false, string[]? devices = null)
    {
        var entitlements = new PlistDictionary
        {
            ["application-identifier"] = "A1B2C3D4E5.com.example.demo",
            ["com.apple.developer.team-identifier"] = "A1B2C3D4E5",
            ["get-task-allow"] = getTaskAllow,
            ["keychain-access-groups"] = new PlistArray(["A1B2C3D4E5.*"]),
        };
        if (betaReports)
            entitlements["beta-reports-active"] = true;
        var profile = new PlistDictionary
        {
            ["AppIDName"] = "Demo",
            ["ApplicationIdentifierPrefix"] = new PlistArray(["A1B2C3D4E5"]),
            ["CreationDate"] = Created,
            ["DeveloperCertificates"] = new PlistArray([new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 }]),
            ["Entitlements"] = entitlements,
            ["ExpirationDate"] = Expires,
            ["Name"] = name,
            ["Platform"] = new PlistArray(["iOS"]),
            ["TeamIdentifier"] = new PlistArray(["A1B2C3D4E5"]),
            ["TeamName"] = "Example Corp & Sons",
            ["TimeToLive"] = 365,
            ["UUID"] = "9F0C3A52-8E7B-4C1D-A2F3-4B5C6D7E8F90",
            ["Version"] = 1,
        };
        if (allDevices)
            profile["ProvisionsAllDevices"] = true;
        if (devices is not null)
            profile["ProvisionedDevices"] = new PlistArray(devices.Select(d => (PlistValue)d));
        return profile;
    }

    // CMS SignedData (DER) around the XML plist, signed with a throwaway self-signed certificate, as Apple does.
    public static byte[] Sign(PlistDictionary profile) => SignContent(Plist.ToXml(profile));

    public static byte[] SignContent(byte[] content)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Test iPhone OS Provisioning Profile Signing", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        var cms = new SignedCms(new ContentInfo(content), detached: false);
        cms.ComputeSignature(new CmsSigner(certificate));
        return cms.Encode();
    }

    // Re-encodes the outer layers as BER with indefinite lengths and the content as a chunked, constructed OCTET
    // STRING, as in Apple's own profiles (30 80 ... A0 80 24 80 04 82 ...). Signer infos stay DER, untouched.
    public static byte[] ToIndefiniteLengthBer(byte[] der, int chunkSize = 1000)
    {
        var contentInfo = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var contentType = contentInfo.ReadEncodedValue().ToArray();
        var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
        var version = signedData.ReadEncodedValue().ToArray();
        var digestAlgorithms = signedData.ReadEncodedValue().ToArray();
        var encapsulated = signedData.ReadSequence();
        var eContentType = encapsulated.ReadEncodedValue().ToArray();
        var content = encapsulated.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadOctetString();
        var rest = new List<byte[]>();
        while (signedData.HasData)
            rest.Add(signedData.ReadEncodedValue().ToArray());

        var ber = new MemoryStream();
        ber.Write([0x30, 0x80]);
        ber.Write(contentType);
        ber.Write([0xA0, 0x80, 0x30, 0x80]);
        ber.Write(version);
        ber.Write(digestAlgorithms);
        ber.Write([0x30, 0x80]);
        ber.Write(eContentType);
        ber.Write([0xA0, 0x80, 0x24, 0x80]);
        for (var at = 0; at < content.Length; at += chunkSize)
        {
            var length = Math.Min(chunkSize, content.Length - at);
            ber.WriteByte(0x04);
            ber.Write(length < 0x80 ? [(byte)length] : [0x82, (byte)(length >> 8), (byte)length]);
            ber.Write(content, at, length);
        }
        ber.Write(new byte[6]); // end of the OCTET STRING, the [0] and encapContentInfo
        foreach (var value in rest)
            ber.Write(value);
        ber.Write(new byte[6]); // end of SignedData, the [0] and ContentInfo
        return ber.ToArray();
    }
}
