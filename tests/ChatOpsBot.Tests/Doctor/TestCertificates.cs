using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ChatOpsBot.Tests.Doctor;

/// <summary>Certificates made in the test: a CA standing for a public one, a private CA, and server certificates.</summary>
internal static class TestCertificates
{
    /// <summary>The doctor tests' "now": every validity period is set relative to it, never to the real clock.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A root CA, or an intermediate one when <paramref name="issuer"/> is given.</summary>
    public static X509Certificate2 Authority(string name, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, issuer is not null, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
            return Loaded(request.CreateSelfSigned(Now.AddYears(-5), Now.AddYears(10)));
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), Now.AddYears(-2), Now.AddYears(5), RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        return Loaded(withKey);
    }

    /// <summary>A server certificate for <paramref name="dnsName"/>, issued by <paramref name="issuer"/>, or self-signed without one.</summary>
    public static X509Certificate2 Server(string dnsName, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        if (issuer is null)
            return Loaded(request.CreateSelfSigned(notBefore, notAfter));
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        return Loaded(withKey);
    }

    public static X509Certificate2 Server(string dnsName, X509Certificate2? issuer) => Server(dnsName, issuer, Now.AddDays(-30), Now.AddDays(300));

    /// <summary>Through PKCS#12, so the key is one TLS can use on any platform rather than an ephemeral one.</summary>
    private static X509Certificate2 Loaded(X509Certificate2 certificate)
    {
        using (certificate)
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
