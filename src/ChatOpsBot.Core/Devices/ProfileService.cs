using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Devices;

/// <summary>
/// The temporary "Profile Service" configuration profile that makes iOS post its UDID, model, version and serial to
/// <c>/d/{token}/enroll</c> (devices.md 1). Nothing of it stays installed on the device.
/// </summary>
public static class ProfileService
{
    public const string ContentType = "application/x-apple-aspen-config";

    /// <summary>The attributes asked for; never IMEI, MEID, ICCID or the device's name, which is often its owner's.</summary>
    public static readonly IReadOnlyList<string> Attributes = ["UDID", "PRODUCT", "VERSION", "SERIAL"];

    /// <summary>The profile as an XML property list.</summary>
    /// <param name="enrollUrl">Absolute https address iOS posts the signed attributes to.</param>
    /// <param name="challenge">A fresh secret iOS echoes back as CHALLENGE.</param>
    /// <param name="payloadUuid">Unique per profile.</param>
    /// <param name="identifier">Reverse-DNS identifier; one installed with the same identifier is replaced.</param>
    /// <param name="organization">Shown by Settings as the profile's organisation.</param>
    public static byte[] Create(Uri enrollUrl, string challenge, Guid payloadUuid, string identifier, string organization)
    {
        ArgumentNullException.ThrowIfNull(enrollUrl);
        if (!enrollUrl.IsAbsoluteUri)
            throw new ArgumentException("The enrol address must be absolute.", nameof(enrollUrl));
        var attributes = new PlistArray();
        foreach (var attribute in Attributes)
            attributes.Add(attribute);
        var profile = new PlistDictionary
        {
            ["PayloadType"] = "Profile Service",
            ["PayloadVersion"] = 1,
            ["PayloadIdentifier"] = identifier,
            ["PayloadUUID"] = payloadUuid.ToString("D").ToUpperInvariant(),
            ["PayloadDisplayName"] = "Register this device with " + organization,
            ["PayloadDescription"] = "Tells " + organization + " this device's identifier (UDID), model and iOS version, so test builds can include it. It is removed again right away.",
            ["PayloadOrganization"] = organization,
            ["PayloadContent"] = new PlistDictionary
            {
                ["URL"] = enrollUrl.AbsoluteUri,
                ["DeviceAttributes"] = attributes,
                ["Challenge"] = challenge,
            },
        };
        return Plist.ToXml(profile);
    }

    /// <summary>
    /// The profile inside a CMS SignedData with the content attached, signed by <paramref name="signer"/> (with its
    /// private key) and carrying <paramref name="chain"/>, so iOS can show it as verified (devices.md 1.2).
    /// </summary>
    public static byte[] Sign(byte[] profile, X509Certificate2 signer, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var cms = new SignedCms(new ContentInfo(profile), detached: false);
        var cmsSigner = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer)
        {
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        if (chain is not null)
        {
            foreach (var certificate in chain)
            {
                if (certificate.Thumbprint != signer.Thumbprint && certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) is false)
                    cmsSigner.Certificates.Add(certificate);
            }
        }
        cms.ComputeSignature(cmsSigner);
        return cms.Encode();
    }
}
