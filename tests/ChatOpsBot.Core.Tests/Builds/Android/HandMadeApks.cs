using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ChatOpsBot.Core.Tests.Builds.Android;

// APKs assembled from hand-made manifests and tables, v1-signed in process with a throwaway certificate, so a test
// controls every byte the reader sees.
internal static class HandMadeApks
{
    public const uint Label = 0x01010001, Icon = 0x01010002, Debuggable = 0x0101000f, MinSdk = 0x0101020c, TargetSdk = 0x01010270;
    private static readonly Lazy<X509Certificate2> Signer = new(() =>
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Hand Made", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2050, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    });

    public static X509Certificate2 Certificate => Signer.Value;

    public static byte[] Manifest(params AxmlAttr[] application) =>
        new AxmlWriter().Write(AxmlWriter.Manifest(children: [new AxmlNode("uses-sdk", AxmlAttr.Int("minSdkVersion", MinSdk, 21)), AxmlWriter.Application(application)]));

    public static List<ZipItem> Signature()
    {
        var sf = Encoding.ASCII.GetBytes("Signature-Version: 1.0\r\nCreated-By: test\r\n\r\n");
        var cms = new SignedCms(new ContentInfo(sf), detached: true);
        cms.ComputeSignature(new CmsSigner(Signer.Value));
        return
        [
            new ZipItem("META-INF/MANIFEST.MF", Encoding.ASCII.GetBytes("Manifest-Version: 1.0\r\n\r\n")),
            new ZipItem("META-INF/CERT.SF", sf),
            new ZipItem("META-INF/CERT.RSA", cms.Encode()),
        ];
    }

    public static byte[] Apk(byte[] manifest, byte[]? table = null, IEnumerable<ZipItem>? extra = null, bool signed = true) =>
        TestResFormats.Zip([
            new ZipItem("AndroidManifest.xml", manifest),
            .. table is null ? [] : new[] { new ZipItem("resources.arsc", table) },
            .. extra ?? [],
            .. signed ? Signature() : []]);
}
