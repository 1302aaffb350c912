using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Devices;

/// <summary>What a device reported through the profile service. Every attribute but the UDID is optional.</summary>
public sealed record EnrolledDevice(string Udid, string? Product, string? Version, string? Serial);

public enum EnrollmentRejection
{
    TooLarge,
    Malformed,
    BadSignature,
    UntrustedSigner,
    WrongChallenge,
    MissingUdid,
}

public sealed class DeviceEnrollmentException(EnrollmentRejection reason, string message) : Exception(message)
{
    public EnrollmentRejection Reason { get; } = reason;
}

/// <summary>
/// Reads the body iOS posts to <c>/d/{token}/enroll</c>: a CMS SignedData (DER or BER) whose attached content is a
/// property list of the asked-for attributes and the challenge, signed with the device's own identity (devices.md 2).
/// </summary>
public static class DeviceEnrollment
{
    /// <summary>A few KB is normal; anything larger is not a device's answer.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <param name="body">The request body.</param>
    /// <param name="expectedChallenge">The challenge the profile carried, compared in constant time.</param>
    /// <param name="deviceCa">
    /// Apple's "iPhone Device CA" certificate when configured: the signer must then be issued by it. Without it the
    /// signature over the content is still checked, but anyone holding a link could post an invented UDID.
    /// </param>
    public static EnrolledDevice Read(ReadOnlySpan<byte> body, string expectedChallenge, X509Certificate2? deviceCa = null)
    {
        if (body.Length > MaxBodyBytes)
            throw Reject(EnrollmentRejection.TooLarge, $"The body is larger than {MaxBodyBytes} bytes.");
        var cms = new SignedCms();
        try
        {
            cms.Decode(body);
        }
        catch (CryptographicException)
        {
            throw Reject(EnrollmentRejection.Malformed, "The body is not a CMS signed message.");
        }
        if (cms.Detached || cms.ContentInfo.Content.Length == 0 || cms.SignerInfos.Count != 1)
            throw Reject(EnrollmentRejection.Malformed, "The signed message carries no content or not exactly one signer.");
        try
        {
            // The device's identity is not a document-signing certificate: its chain is judged below, not here.
            cms.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException)
        {
            throw Reject(EnrollmentRejection.BadSignature, "The signature does not match the content.");
        }
        var signer = cms.SignerInfos[0].Certificate;
        if (signer is null)
            throw Reject(EnrollmentRejection.BadSignature, "The signed message does not carry its signer's certificate.");
        if (deviceCa is not null && !IssuedBy(signer, deviceCa, cms.Certificates))
            throw Reject(EnrollmentRejection.UntrustedSigner, "The signer is not a device identity issued by the configured Apple device CA.");

        PlistDictionary attributes;
        try
        {
            attributes = Plist.ParseDictionary(cms.ContentInfo.Content);
        }
        catch (PropertyListFormatException)
        {
            throw Reject(EnrollmentRejection.Malformed, "The signed content is not a property list of device attributes.");
        }
        var challenge = attributes.GetString("CHALLENGE");
        if (challenge is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(challenge), Encoding.UTF8.GetBytes(expectedChallenge)))
            throw Reject(EnrollmentRejection.WrongChallenge, "The challenge is missing or is not the one this link's profile carried.");
        var udid = attributes.GetString("UDID");
        if (!Udid.IsValid(udid))
            throw Reject(EnrollmentRejection.MissingUdid, "The attributes carry no valid UDID.");
        return new EnrolledDevice(udid!, Attribute(attributes, "PRODUCT"), Attribute(attributes, "VERSION"), Attribute(attributes, "SERIAL"));
    }

    /// <summary>
    /// The signer chains to the pinned CA and to nothing else: two elements, the second the pinned certificate. Device
    /// identities and Apple's device CA are past their validity dates, which Apple says to ignore (devices.md 2).
    /// </summary>
    private static bool IssuedBy(X509Certificate2 signer, X509Certificate2 deviceCa, X509Certificate2Collection carried)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.ExtraStore.Add(deviceCa);
        foreach (var certificate in carried)
        {
            if (certificate.Thumbprint != deviceCa.Thumbprint)
                chain.ChainPolicy.ExtraStore.Add(certificate);
        }
        chain.Build(signer);
        if (chain.ChainElements.Count < 2 || !chain.ChainElements[1].Certificate.RawDataMemory.Span.SequenceEqual(deviceCa.RawDataMemory.Span))
            return false;
        const X509ChainStatusFlags Tolerated = X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotTimeValid
            | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.NotTimeNested;
        return chain.ChainStatus.All(s => (s.Status & ~Tolerated) == 0)
            && chain.ChainElements[0].ChainElementStatus.All(s => (s.Status & ~Tolerated) == 0);
    }

    private static string? Attribute(PlistDictionary attributes, string key) =>
        attributes.GetString(key) is { Length: > 0 and <= 128 } value ? value : null;

    private static DeviceEnrollmentException Reject(EnrollmentRejection reason, string message) => new(reason, message);
}
