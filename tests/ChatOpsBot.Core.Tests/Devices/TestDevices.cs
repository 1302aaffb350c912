using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Devices;

/// <summary>
/// An Apple-shaped device identity chain (root, "Apple iPhone Device CA", a device certificate past its validity, as
/// real ones are) and the signed answers a device posts to the profile service.
/// </summary>
internal sealed class TestDevices : IDisposable
{
    public const string Udid = "00008130-000A1B2C3D4E801E";
    public const string Challenge = "7f3c2a9d41b08e6f5c1d2e3f4a5b6c7d";

    public TestDevices(string caName = "CN=Apple iPhone Device CA, OU=Apple iPhone, O=Apple Inc., C=US")
    {
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Test Apple Root CA, O=Apple Inc., C=US", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = rootRequest.CreateSelfSigned(new DateTimeOffset(2006, 4, 25, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2035, 2, 9, 0, 0, 0, TimeSpan.Zero));

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest(caName, caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        // Apple's device CA expired in 2014 and still issues: validity dates are ignored.
        var ca = caRequest.Create(Root, new DateTimeOffset(2007, 4, 16, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2014, 4, 16, 0, 0, 0, TimeSpan.Zero), [1, 2]);
        DeviceCa = ca.CopyWithPrivateKey(caKey);
        ca.Dispose();
        Device = Issue(DeviceCa, "CN=" + Udid);
    }

    public X509Certificate2 Root { get; }

    /// <summary>With its private key, so tests can issue more device identities.</summary>
    public X509Certificate2 DeviceCa { get; }

    /// <summary>The device's identity, with its private key; long expired, as is the CA that issued it.</summary>
    public X509Certificate2 Device { get; }

    /// <summary>The device CA as an operator configures it: the public certificate only.</summary>
    public X509Certificate2 PinnedCa() => X509CertificateLoader.LoadCertificate(DeviceCa.RawData);

    public static X509Certificate2 Issue(X509Certificate2 issuer, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var certificate = request.Create(issuer, new DateTimeOffset(2013, 4, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2014, 4, 1, 0, 0, 0, TimeSpan.Zero), RandomNumberGenerator.GetBytes(8));
        return certificate.CopyWithPrivateKey(key);
    }

    public static PlistDictionary Attributes(string? udid = Udid, string? challenge = Challenge)
    {
        var attributes = new PlistDictionary
        {
            ["PRODUCT"] = "iPhone16,1",
            ["VERSION"] = "18.1",
            ["SERIAL"] = "F2LXK0ABCDEF",
        };
        if (udid is not null)
            attributes["UDID"] = udid;
        if (challenge is not null)
            attributes["CHALLENGE"] = challenge;
        return attributes;
    }

    /// <summary>The body iOS posts: the attributes signed by <paramref name="signer"/> (the device by default), with the device CA carried.</summary>
    public byte[] Answer(PlistDictionary? attributes = null, X509Certificate2? signer = null, X509Certificate2? carried = null) =>
        SignedAnswer(Plist.ToXml(attributes ?? Attributes()), signer ?? Device, carried ?? DeviceCa);

    public static byte[] SignedAnswer(byte[] content, X509Certificate2 signer, X509Certificate2? carried, bool detached = false)
    {
        var cms = new SignedCms(new ContentInfo(content), detached);
        var cmsSigner = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer) { IncludeOption = X509IncludeOption.EndCertOnly };
        if (carried is not null)
            cmsSigner.Certificates.Add(X509CertificateLoader.LoadCertificate(carried.RawData));
        cms.ComputeSignature(cmsSigner);
        return cms.Encode();
    }

    public void Dispose()
    {
        Root.Dispose();
        DeviceCa.Dispose();
        Device.Dispose();
    }
}
