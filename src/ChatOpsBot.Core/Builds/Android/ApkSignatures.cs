using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace ChatOpsBot.Core.Builds.Android;

// Who signed an APK, from the APK Signing Block (v2, v3, v3.1) and the v1 JAR signature files. This extracts the
// signers' certificates; it does not verify the APK's digests (Android does that on install). The v1 CMS signature is
// checked over its .SF file, which costs little and catches a signature file that is not one.
internal static class ApkSignatures
{
    private const uint V2Id = 0x7109871a, V3Id = 0xf05368c0, V31Id = 0x1b93ad61;
    private static ReadOnlySpan<byte> Magic => "APK Sig Block 42"u8;

    public static (IReadOnlyList<string> Schemes, IReadOnlyList<ApkSigner> Signers) Read(ApkZip zip, ApkLimits limits, CancellationToken cancellationToken)
    {
        var block = ReadBlockSigners(zip, limits);
        var v1 = ReadV1Signers(zip, limits, cancellationToken);
        var schemes = new List<string>();
        if (v1.Count > 0)
            schemes.Add("v1");
        foreach (var (scheme, signers) in block)
        {
            if (signers.Count > 0 && !schemes.Contains(scheme))
                schemes.Add(scheme);
        }
        // apksigner --print-certs: the last v3.1 signer, else the last v3 signer, else every v2 signer, else v1's.
        IReadOnlyList<ApkSigner> chosen =
            block.TryGetValue("v3.1", out var v31) && v31.Count > 0 ? [v31[^1]]
            : block.TryGetValue("v3", out var v3) && v3.Count > 0 ? [v3[^1]]
            : block.TryGetValue("v2", out var v2) && v2.Count > 0 ? v2
            : v1;
        return (schemes, chosen);
    }

    private static Dictionary<string, List<ApkSigner>> ReadBlockSigners(ApkZip zip, ApkLimits limits)
    {
        var found = new Dictionary<string, List<ApkSigner>>(StringComparer.Ordinal);
        var cd = zip.DirectoryOffset;
        if (cd < 32 || cd + zip.DirectorySize != zip.EndOffset)
            return found;
        var footer = zip.ReadAt(cd - 24, 24);
        if (!footer.AsSpan(8).SequenceEqual(Magic))
            return found;
        var size = BinaryPrimitives.ReadUInt64LittleEndian(footer);
        if (size < 24 || size > (ulong)limits.MaxSigningBlockBytes || size + 8 > (ulong)cd)
            throw Malformed($"The APK Signing Block declares {size} bytes, which do not fit before the zip directory or exceed the limit of {limits.MaxSigningBlockBytes}", cd - 24);
        var start = cd - (long)size - 8;
        var block = zip.ReadAt(start, (int)size + 8);
        if (BinaryPrimitives.ReadUInt64LittleEndian(block) != size)
            throw Malformed("The APK Signing Block's two sizes disagree", start);
        var at = 8;
        var end = block.Length - 24;
        while (at < end)
        {
            if (end - at < 8)
                throw Malformed("An APK Signing Block pair is truncated", start + at);
            var length = BinaryPrimitives.ReadUInt64LittleEndian(block.AsSpan(at));
            if (length < 4 || length > (ulong)(end - at - 8))
                throw Malformed($"An APK Signing Block pair declares {length} bytes, past the block's end", start + at);
            var id = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(at + 8));
            var value = new Lp(block, at + 12, at + 8 + (int)length, start);
            var scheme = id switch { V2Id => "v2", V3Id => "v3", V31Id => "v3.1", _ => null };
            if (scheme is not null)
            {
                if (!found.TryGetValue(scheme, out var list))
                    found[scheme] = list = [];
                list.AddRange(Signers(value, scheme));
            }
            at += 8 + (int)length;
        }
        return found;
    }

    // v2 and v3 alike: a sequence of signers, each starting with signed data {digests, certificates, ...}.
    private static List<ApkSigner> Signers(Lp value, string scheme)
    {
        var result = new List<ApkSigner>();
        var signers = value.Next();
        while (!signers.AtEnd)
        {
            var signer = signers.Next();
            var signedData = signer.Next();
            _ = signedData.Next(); // digests
            var certificates = signedData.Next();
            if (certificates.AtEnd)
                throw Malformed($"A {scheme} signer has no certificate", certificates.Offset);
            var first = certificates.Next();
            result.Add(Describe(first.Bytes(), first.Offset));
        }
        if (result.Count == 0)
            throw Malformed($"The {scheme} signature block has no signers", value.Offset);
        return result;
    }

    private static ApkSigner Describe(byte[] der, long offset, string? entry = null)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return Describe(certificate);
        }
        catch (CryptographicException e)
        {
            throw new ApkFormatException(ApkRejectionReason.Malformed, "A signer's certificate is not a valid X.509 certificate", offset, entry, e);
        }
    }

    private static ApkSigner Describe(X509Certificate2 certificate) =>
        new(certificate.Subject, Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)));

    // META-INF/NAME.SF with NAME.RSA, .DSA or .EC (case-sensitive, as apksig pairs them) and META-INF/MANIFEST.MF.
    private static List<ApkSigner> ReadV1Signers(ApkZip zip, ApkLimits limits, CancellationToken cancellationToken)
    {
        var signers = new List<ApkSigner>();
        var blocks = zip.Entries.Where(e => IsMetaInfFile(e.Name) && (e.Name.EndsWith(".RSA", StringComparison.Ordinal) || e.Name.EndsWith(".DSA", StringComparison.Ordinal) || e.Name.EndsWith(".EC", StringComparison.Ordinal))).ToList();
        var signatureFiles = zip.Entries.Where(e => IsMetaInfFile(e.Name) && e.Name.EndsWith(".SF", StringComparison.Ordinal)).ToList();
        if (blocks.Count == 0 && signatureFiles.Count == 0)
            return signers;
        if (zip.Find("META-INF/MANIFEST.MF") is null)
            throw Malformed("The v1 signature has no META-INF/MANIFEST.MF", (blocks.Count > 0 ? blocks[0] : signatureFiles[0]).DirectoryOffset);
        foreach (var sf in signatureFiles)
        {
            var stem = sf.Name[..^".SF".Length];
            if (!blocks.Any(b => b.Name[..b.Name.LastIndexOf('.')] == stem))
                throw Malformed($"{sf.Name} has no signature block (.RSA, .DSA or .EC) beside it", sf.DirectoryOffset);
        }
        foreach (var block in blocks)
        {
            var stem = block.Name[..block.Name.LastIndexOf('.')];
            var sf = zip.Find(stem + ".SF") ?? throw Malformed($"{block.Name} has no {stem}.SF beside it", block.DirectoryOffset);
            var content = zip.Read(sf, limits.MaxSignatureFileBytes, cancellationToken);
            var encoded = zip.Read(block, limits.MaxSignatureFileBytes, cancellationToken);
            try
            {
                var cms = new SignedCms(new ContentInfo(content), detached: true);
                cms.Decode(encoded);
                cms.CheckSignature(verifySignatureOnly: true);
                foreach (var info in cms.SignerInfos)
                {
                    var certificate = info.Certificate ?? throw new ApkFormatException(ApkRejectionReason.Malformed, "A v1 signer's certificate is not in its signature block", 0, block.Name);
                    signers.Add(Describe(certificate));
                }
            }
            catch (CryptographicException e)
            {
                throw new ApkFormatException(ApkRejectionReason.Malformed, $"The v1 signature does not verify over {sf.Name}: {e.Message}", 0, block.Name, e);
            }
        }
        return signers;
    }

    private static bool IsMetaInfFile(string name) =>
        name.StartsWith("META-INF/", StringComparison.Ordinal) && name.IndexOf('/', "META-INF/".Length) < 0;

    private static ApkFormatException Malformed(string detail, long offset) => new(ApkRejectionReason.Malformed, detail, offset);

    // A u32-length-prefixed sequence within the signing block; offsets reported relative to the upload.
    private sealed class Lp(byte[] bytes, int start, int end, long baseOffset)
    {
        private int _at = start;

        public bool AtEnd => _at >= end;

        public long Offset => baseOffset + _at;

        public Lp Next()
        {
            if (end - _at < 4)
                throw Malformed("A length-prefixed signing field is truncated", baseOffset + _at);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(_at));
            if (length > (uint)(end - _at - 4))
                throw Malformed($"A signing field declares {length} bytes, past the end of its parent", baseOffset + _at);
            var child = new Lp(bytes, _at + 4, _at + 4 + (int)length, baseOffset);
            _at += 4 + (int)length;
            return child;
        }

        public byte[] Bytes() => bytes[_at..end];
    }
}
