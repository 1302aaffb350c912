using System.Buffers.Binary;
using ChatOpsBot.Core.Builds.Android;

namespace ChatOpsBot.Core.Tests.Builds.Android;

// A corpus of hand-made hostile inputs, each refused with the one ApkFormatException carrying an offset, beside the
// odd layouts Android accepts, which must be accepted too.
public sealed class ApkMalformedTests
{
    private static ApkFormatException Rejected(byte[] apk, ApkRejectionReason reason, ApkLimits? limits = null)
    {
        using var stream = new MemoryStream(apk, writable: false);
        var e = Assert.Throws<ApkFormatException>(() => ApkInspector.Read(stream, limits ?? ApkLimits.Default, CancellationToken.None));
        Assert.Equal(reason, e.Reason);
        Assert.InRange(e.Offset, 0, apk.Length);
        if (reason is ApkRejectionReason.Unsigned or ApkRejectionReason.NotAnApk)
            Assert.DoesNotContain("at byte", e.Message, StringComparison.Ordinal);
        else
            Assert.Contains("at byte", e.Message, StringComparison.Ordinal);
        var result = ApkInspectorTests.Inspect(apk, limits);
        Assert.Equal(reason, result.Rejection?.Reason);
        Assert.Equal(ApkFormatException.IsAboutStructure(reason) ? e.Offset : null, result.Rejection?.Offset);
        return e;
    }

    private static ApkFormatException ManifestRejected(byte[] manifest)
    {
        var e = Rejected(HandMadeApks.Apk(manifest), ApkRejectionReason.Malformed);
        Assert.Equal("AndroidManifest.xml", e.Entry);
        Assert.InRange(e.Offset, 0, manifest.Length);
        return e;
    }

    private static ApkInspection Accepted(byte[] apk)
    {
        var result = ApkInspectorTests.Inspect(apk);
        Assert.True(result.IsAccepted, result.ToString());
        return result.Inspection;
    }

    private static byte[] Patch(byte[] bytes, int at, uint value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] Patch16(byte[] bytes, int at, ushort value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] GoodManifest() => HandMadeApks.Manifest(AxmlAttr.String("label", HandMadeApks.Label, "Made By Hand"));

    [Fact]
    public void HandMadeApkIsAccepted()
    {
        var inspection = Accepted(HandMadeApks.Apk(GoodManifest()));

        Assert.Equal("com.example.made", inspection.Package);
        Assert.Equal(5, inspection.VersionCode);
        Assert.Equal("Made By Hand", inspection.Label);
        Assert.Equal(21, inspection.MinSdkVersion);
        Assert.Equal(21, inspection.TargetSdkVersion);
        Assert.Equal("CN=Hand Made", Assert.Single(inspection.Signers).Subject);
    }

    // Offsets in a hand-made manifest: root header 0-7, the string pool from 8 (count at 16, stringsStart at 28).
    [Theory]
    [InlineData("declared size past the data", 4, 0x7FFFFFFFu)]
    [InlineData("header size below a chunk header", 2, 4u)]
    [InlineData("string count of 2^31-1", 16, 0x7FFFFFFFu)]
    [InlineData("string count of 2^32-1", 16, 0xFFFFFFFFu)]
    [InlineData("style count of 2^32-1", 20, 0xFFFFFFFFu)]
    [InlineData("strings start past the pool", 28, 0x00FFFFFFu)]
    [InlineData("strings start inside the offsets", 28, 12u)]
    [InlineData("pool chunk size past the document", 12, 0x00FFFFFFu)]
    [InlineData("first string offset past the pool", 36, 0x00FFFFFFu)]
    public void ManifestWithALyingStringPoolIsMalformed(string what, int at, uint value)
    {
        var e = ManifestRejected(Patch(GoodManifest(), at, value));

        Assert.False(string.IsNullOrEmpty(what));
        Assert.DoesNotContain("Exception", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestTruncatedAnywhereIsMalformedOrNotAnApk()
    {
        var manifest = GoodManifest();
        for (var length = 0; length < manifest.Length; length += 7)
        {
            var truncated = manifest[..length];
            // The root chunk's size now lies: it is past the data.
            using var stream = new MemoryStream(HandMadeApks.Apk(truncated), writable: false);
            var e = Assert.Throws<ApkFormatException>(() => ApkInspector.Read(stream, ApkLimits.Default, CancellationToken.None));
            Assert.True(e.Reason is ApkRejectionReason.Malformed or ApkRejectionReason.NotAnApk, $"{length}: {e.Reason}");
        }
    }

    [Fact]
    public void UtfEightStringLongerThanItsPoolIsMalformed()
    {
        var manifest = new AxmlWriter { Utf8 = true }.Write(AxmlWriter.Manifest(children: [AxmlWriter.Application(AxmlAttr.String("label", HandMadeApks.Label, "x"))]));
        Assert.Equal("com.example.made", Accepted(HandMadeApks.Apk(manifest)).Package);
        var stringsStart = BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(28));
        // Every string's byte count (second length byte) claims 0x7F bytes.
        var bad = (byte[])manifest.Clone();
        var count = BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(16));
        for (var i = 0; i < count; i++)
            bad[8 + stringsStart + BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(36 + 4 * i)) + 1] = 0x7F;

        ManifestRejected(bad);
    }

    [Fact]
    public void UtfSixteenLengthPastThePoolIsMalformed()
    {
        var manifest = GoodManifest();
        var stringsStart = BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(28));
        var bad = (byte[])manifest.Clone();
        var count = BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(16));
        for (var i = 0; i < count; i++)
        {
            var at = 8 + stringsStart + BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(36 + 4 * i));
            bad[at] = 0xFF;
            bad[at + 1] = 0xFF;
        }

        ManifestRejected(bad);
    }

    [Fact]
    public void ElementNestedSixtyFiveDeepIsMalformed()
    {
        var node = new AxmlNode("leaf");
        for (var i = 0; i < 64; i++)
            node = new AxmlNode("meta-data", [], [node]);

        var e = ManifestRejected(new AxmlWriter().Write(AxmlWriter.Manifest(children: node)));

        Assert.Contains("deeper than 64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AttributeCountPastTheNodeIsMalformed()
    {
        var manifest = GoodManifest();
        var start = IndexOfNode(manifest, 0x0102);

        ManifestRejected(Patch16(manifest, start + 16 + 12, 200));
        ManifestRejected(Patch16(manifest, start + 16 + 10, 8));
        ManifestRejected(Patch16(manifest, start + 16 + 12, 1025));
    }

    [Fact]
    public void NodeSizeOfZeroOrPastItsParentIsMalformedNotALoop()
    {
        var manifest = GoodManifest();
        var start = IndexOfNode(manifest, 0x0102);

        ManifestRejected(Patch(manifest, start + 4, 0));
        ManifestRejected(Patch(manifest, start + 4, 0x7FFFFFF0));
        ManifestRejected(Patch16(manifest, start + 2, 0));
    }

    [Fact]
    public void ElementNameOutsideThePoolIsMalformed()
    {
        var manifest = GoodManifest();
        var start = IndexOfNode(manifest, 0x0102);

        ManifestRejected(Patch(manifest, start + 16 + 4, 0xFFFFFF7F));
    }

    [Fact]
    public void EndTagWithoutAStartIsMalformed()
    {
        var manifest = GoodManifest();
        var start = IndexOfNode(manifest, 0x0102);

        ManifestRejected(Patch16(manifest, start, 0x0103));
    }

    [Fact]
    public void ManifestWithoutStringPoolOrElementsIsMalformed()
    {
        ManifestRejected(TestResFormats.Chunk(0x0003, [], []));
        ManifestRejected(TestResFormats.Chunk(0x0003, [], TestResFormats.StringPool(["a"], utf8: false)));
    }

    [Theory]
    [InlineData("root chunk type 0x0000 (apk-parser #49)", 0)]
    [InlineData("24-byte attributes (jadx #2210)", 1)]
    [InlineData("20-byte node headers (androguard #1137)", 2)]
    [InlineData("strings starting 4 bytes past the offsets (jadx #1797)", 3)]
    [InlineData("UTF-8 pool", 4)]
    [InlineData("data appended after the document", 5)]
    [InlineData("unknown chunk between pool and nodes", 6)]
    public void LayoutAndroidAcceptsIsAccepted(string what, int variant)
    {
        var document = AxmlWriter.Manifest(children: [AxmlWriter.Application(AxmlAttr.String("label", HandMadeApks.Label, "Odd"), AxmlAttr.Bool("debuggable", HandMadeApks.Debuggable, true))]);
        var manifest = variant switch
        {
            0 => new AxmlWriter { RootType = 0 }.Write(document),
            1 => new AxmlWriter { AttributeSize = 24 }.Write(document),
            2 => new AxmlWriter { NodeHeaderSize = 20 }.Write(document),
            3 => new AxmlWriter { PaddingAfterOffsets = 4 }.Write(document),
            4 => new AxmlWriter { Utf8 = true }.Write(document),
            5 => [.. new AxmlWriter().Write(document), .. new byte[37]],
            _ => InsertUnknownChunk(new AxmlWriter().Write(document)),
        };

        var inspection = Accepted(HandMadeApks.Apk(manifest));

        Assert.False(string.IsNullOrEmpty(what));
        Assert.Equal("Odd", inspection.Label);
        Assert.True(inspection.Debuggable);
        Assert.Equal(5, inspection.VersionCode);
    }

    [Fact]
    public void DecoyAttributeNamedVersionCodeWithoutTheResourceIdDoesNotWin()
    {
        var manifest = new AxmlWriter().Write(new AxmlNode("manifest",
            [new AxmlAttr("package", 0, 0x03, 0, "com.example.decoy"), new AxmlAttr("versionCode", 0, 0x10, 999), AxmlAttr.Int("renamed", 0x0101021b, 7)], []));

        Assert.Equal(7, Accepted(HandMadeApks.Apk(manifest)).VersionCode);
    }

    [Fact]
    public void ManifestThatIsNotBinaryXmlIsNotAnApk()
    {
        Rejected(HandMadeApks.Apk("<manifest package=\"x\"/>"u8.ToArray()), ApkRejectionReason.NotAnApk);
        Rejected(HandMadeApks.Apk([0x0A, 0x02, 0x1A, 0x00, 0, 0, 0, 0]), ApkRejectionReason.NotAnApk);
        Rejected(HandMadeApks.Apk(new AxmlWriter().Write(new AxmlNode("resources"))), ApkRejectionReason.NotAnApk);
        Rejected(TestResFormats.Zip([new ZipItem("classes.dex", [1, 2, 3])]), ApkRejectionReason.NotAnApk);
    }

    [Fact]
    public void ManifestWithoutPackageIsMalformed()
    {
        ManifestRejected(new AxmlWriter().Write(new AxmlNode("manifest", AxmlAttr.Int("versionCode", 0x0101021b, 1))));
    }

    // --- resources.arsc ---

    private static byte[] LabelledApk(ArscWriter table, uint labelId) =>
        HandMadeApks.Apk(HandMadeApks.Manifest(AxmlAttr.Ref("label", HandMadeApks.Label, labelId)), table.Write());

    [Fact]
    public void LabelResolvesThroughDenseSparseOffset16AndCompactEntries()
    {
        foreach (var (flags, compact) in new[] { ((byte)0, false), ((byte)1, false), ((byte)2, false), ((byte)0, true) })
        {
            var table = new ArscWriter();
            table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [3] = (0x03, table.String("Sparse or not")), [9] = (0x03, table.String("other")) }) { Flags = flags, Compact = compact });

            Assert.Equal("Sparse or not", Accepted(LabelledApk(table, ArscWriter.Id(2, 3))).Label);
        }
    }

    [Fact]
    public void LabelChoosesTheDefaultConfigurationThenTheFirstNonEmptyAlternative()
    {
        var table = new ArscWriter();
        table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("Français")) }) { Language = "fr" });
        table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("Default")) }));
        Assert.Equal("Default", Accepted(LabelledApk(table, ArscWriter.Id(2, 0))).Label);

        var alternatives = new ArscWriter();
        alternatives.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, alternatives.String("")) }));
        alternatives.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, alternatives.String("Deutsch")) }) { Language = "de" });
        alternatives.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, alternatives.String("Français")) }) { Language = "fr" });
        var inspection = Accepted(LabelledApk(alternatives, ArscWriter.Id(2, 0)));
        Assert.Equal("Deutsch", inspection.Label);
        Assert.Equal(["de", "fr"], inspection.LocalizedLabels.Keys);
    }

    [Fact]
    public void SelfReferenceInResourcesIsMalformedNotAStackOverflow()
    {
        var table = new ArscWriter();
        table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x01, ArscWriter.Id(2, 0)) }));

        var e = Rejected(LabelledApk(table, ArscWriter.Id(2, 0)), ApkRejectionReason.Malformed);

        Assert.Equal("resources.arsc", e.Entry);
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferenceCycleThroughTwoResourcesIsMalformed()
    {
        var table = new ArscWriter();
        table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x01, ArscWriter.Id(2, 1)), [1] = (0x01, ArscWriter.Id(2, 0)) }));

        Assert.Contains("cycle", Rejected(LabelledApk(table, ArscWriter.Id(2, 0)), ApkRejectionReason.Malformed).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferenceChainOfTwentyIsFollowedAndTwentyOneIsMalformed()
    {
        ArscWriter Chain(int links)
        {
            var table = new ArscWriter();
            var entries = new Dictionary<int, (byte, uint)>();
            for (var i = 0; i < links; i++)
                entries[i] = (0x01, ArscWriter.Id(2, i + 1));
            entries[links] = (0x03, table.String("End of the chain"));
            table.Types.Add(new ArscType(2, entries));
            return table;
        }

        Assert.Equal("End of the chain", Accepted(LabelledApk(Chain(20), ArscWriter.Id(2, 0))).Label);
        Assert.Contains("deeper than 20", Rejected(LabelledApk(Chain(21), ArscWriter.Id(2, 0)), ApkRejectionReason.Malformed).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BranchingReferencesAreCutOffBeforeTheyExplode()
    {
        // Each of 20 levels has two configurations pointing at the next level, and the last is empty: 2^20 paths.
        var table = new ArscWriter();
        for (var config = 0; config < 2; config++)
        {
            var entries = new Dictionary<int, (byte, uint)>();
            for (var i = 0; i < 19; i++)
                entries[i] = (0x01, ArscWriter.Id(2, i + 1));
            entries[19] = (0x03, table.String(""));
            table.Types.Add(new ArscType(2, entries) { Density = (ushort)(160 * (config + 1)) });
        }

        Assert.Contains("lookups", Rejected(LabelledApk(table, ArscWriter.Id(2, 0)), ApkRejectionReason.Malformed).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TableWithLyingCountsIsMalformed()
    {
        var table = new ArscWriter();
        table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("ok")) }));
        var bytes = table.Write();
        Assert.Equal("ok", Accepted(HandMadeApks.Apk(HandMadeApks.Manifest(AxmlAttr.Ref("label", HandMadeApks.Label, ArscWriter.Id(2, 0))), bytes)).Label);
        var type = IndexOfChunk(bytes, 0x0201);
        var manifest = HandMadeApks.Manifest(AxmlAttr.Ref("label", HandMadeApks.Label, ArscWriter.Id(2, 0)));

        foreach (var (at, value) in new[] { (type + 12, 0x7FFFFFFFu), (type + 16, 0xFFFFFFF0u), (type + 20, 0x7FFFFFFFu), (type + 20, 2u), (type + 4, 0x7FFFFFFFu), (type + 84, 0x00FFFFF0u), (12 + 8, 0xFFFFFFFFu) })
        {
            var e = Rejected(HandMadeApks.Apk(manifest, Patch(bytes, at, value)), ApkRejectionReason.Malformed);
            Assert.Equal("resources.arsc", e.Entry);
        }
    }

    // --- zip ---

    [Fact]
    public void UploadThatIsNoZipIsNotAZip()
    {
        Rejected("plain text, not a zip at all"u8.ToArray(), ApkRejectionReason.NotAZip);
        Rejected([], ApkRejectionReason.NotAZip);
    }

    [Fact]
    public void ZipThatLiesIsMalformed()
    {
        var good = HandMadeApks.Apk(GoodManifest());
        Accepted(good);
        var end = good.Length - 22;
        var directory = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(end + 16));

        Rejected(Patch(good, end + 16, 0x7FFFFFFF), ApkRejectionReason.Malformed); // directory past the file
        Rejected(Patch(good, end + 12, (uint)(good.Length - directory + 100)), ApkRejectionReason.Malformed);
        Rejected(Patch16(good, end + 10, 0xFFFF), ApkRejectionReason.Malformed); // Zip64 marker
        Rejected(Patch(good, directory, 0x12345678), ApkRejectionReason.Malformed); // directory signature
        Rejected(Patch(good, directory + 42, (uint)directory + 10), ApkRejectionReason.Malformed); // local header in the directory
        Rejected(Patch(good, 0, 0), ApkRejectionReason.Malformed); // local signature
        Rejected(Patch(good, 18, 999), ApkRejectionReason.Malformed); // local compressed size disagrees with the directory
        Rejected(Patch(good, directory + 24, 0x00FFFFFF), ApkRejectionReason.EntryTooLarge); // manifest over 4 MiB
    }

    [Fact]
    public void DeflatedEntryThatInflatesToOtherThanItsSizeIsMalformed()
    {
        var manifest = GoodManifest();
        Accepted(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Method = 8 }, .. HandMadeApks.Signature()]));

        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Method = 8, UncompressedSize = (uint)manifest.Length + 10 }, .. HandMadeApks.Signature()]), ApkRejectionReason.Malformed);
        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Method = 8, UncompressedSize = (uint)manifest.Length - 10 }, .. HandMadeApks.Signature()]), ApkRejectionReason.Malformed);
        var corrupt = TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Method = 8 }, .. HandMadeApks.Signature()]);
        for (var i = 30 + "AndroidManifest.xml".Length; i < 30 + "AndroidManifest.xml".Length + 8; i++)
            corrupt[i] = 0xFF;
        Rejected(corrupt, ApkRejectionReason.Malformed);
    }

    [Fact]
    public void DeflateBombIsRefusedFromItsHeaders()
    {
        var zeros = new byte[8 * 1024 * 1024];
        var apk = HandMadeApks.Apk(GoodManifest(), extra: []);
        var bomb = TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), new ZipItem("resources.arsc", zeros) { Method = 8 }, .. HandMadeApks.Signature()]);
        Assert.True(bomb.Length < 100_000);
        Accepted(apk);

        Assert.Contains("100 to 1", Rejected(bomb, ApkRejectionReason.EntryTooLarge).Message, StringComparison.Ordinal);
        Rejected(bomb, ApkRejectionReason.EntryTooLarge, new ApkLimits { MaxResourceTableBytes = 1024 * 1024 });
    }

    [Fact]
    public void DuplicateEntryNamesAreRefused()
    {
        var apk = TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), new ZipItem("AndroidManifest.xml", GoodManifest()), .. HandMadeApks.Signature()]);

        Rejected(apk, ApkRejectionReason.DuplicateEntry);
        Assert.Equal(BuildPackageKind.Apk, ApkInspectorTests.Detect(apk));
    }

    [Fact]
    public void MoreEntriesThanTheLimitAreRefusedFromTheEndRecord()
    {
        var apk = HandMadeApks.Apk(GoodManifest());

        Rejected(apk, ApkRejectionReason.TooManyEntries, new ApkLimits { MaxEntries = 3 });
        Rejected(apk, ApkRejectionReason.TooManyEntries, new ApkLimits { MaxCentralDirectoryBytes = 64 });
    }

    [Fact]
    public void FakeEncryptionBitAndUnknownMethodAreReadAsAndroidReadsThem()
    {
        var manifest = GoodManifest();

        Assert.Equal("Made By Hand", Accepted(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Flags = 1 }, .. HandMadeApks.Signature()])).Label);
        Assert.Equal("Made By Hand", Accepted(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Method = 0x1234 }, .. HandMadeApks.Signature()])).Label);
        // A stored entry's bad CRC is not checked (Android does not), only that both headers agree.
        Assert.Equal("Made By Hand", Accepted(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { Crc = 1 }, .. HandMadeApks.Signature()])).Label);
        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", manifest) { LocalCrc = 1 }, .. HandMadeApks.Signature()]), ApkRejectionReason.Malformed);
    }

    // --- signatures ---

    [Fact]
    public void PartialOrTamperedV1SignatureIsMalformedAndNoneIsUnsigned()
    {
        var signature = HandMadeApks.Signature();
        Rejected(HandMadeApks.Apk(GoodManifest(), signed: false), ApkRejectionReason.Unsigned);
        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), signature[0], signature[1]]), ApkRejectionReason.Malformed);
        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), signature[1], signature[2]]), ApkRejectionReason.Malformed);
        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), signature[0], signature[2]]), ApkRejectionReason.Malformed);
        var tampered = signature[1] with { Data = [.. signature[1].Data, (byte)'!'] };
        var e = Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), signature[0], tampered, signature[2]]), ApkRejectionReason.Malformed);
        Assert.Equal("META-INF/CERT.RSA", e.Entry);
        Rejected(TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest()), signature[0], signature[1], signature[2] with { Data = [0x30, 0x03, 1, 2, 3] }]), ApkRejectionReason.Malformed);
    }

    [Fact]
    public void SigningBlockThatLiesIsMalformed()
    {
        var certificate = HandMadeApks.Certificate.RawData;
        byte[] Lp(params byte[][] parts)
        {
            var body = parts.SelectMany(p => p).ToArray();
            return [.. TestResFormats.U32((uint)body.Length), .. body];
        }
        var signedData = Lp(Lp(), Lp(Lp(certificate)), Lp());
        var v2 = Lp(Lp(signedData, Lp(), Lp()));
        byte[] Block(byte[] value, uint id = 0x7109871a, long? pairLength = null, long? sizeDelta = null)
        {
            var pair = (byte[])[.. BitConverter.GetBytes(pairLength ?? value.Length + 4L), .. TestResFormats.U32(id), .. value];
            var size = (ulong)(pair.Length + 24);
            return [.. BitConverter.GetBytes(size + (ulong)(sizeDelta ?? 0)), .. pair, .. BitConverter.GetBytes(size), .. "APK Sig Block 42"u8];
        }
        byte[] Apk(byte[] block) => TestResFormats.Zip([new ZipItem("AndroidManifest.xml", GoodManifest())], block);

        var inspection = Accepted(Apk(Block(v2)));
        Assert.Equal(["v2"], inspection.SignatureSchemes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate)), Assert.Single(inspection.Signers).Sha256);
        Rejected(Apk(Block(v2, id: 0x12345678)), ApkRejectionReason.Unsigned); // an unknown pair is ignored
        Rejected(Apk(Block(v2, pairLength: 1 << 20)), ApkRejectionReason.Malformed);
        Rejected(Apk(Block(v2, pairLength: 2)), ApkRejectionReason.Malformed);
        Rejected(Apk(Block(v2, sizeDelta: 4)), ApkRejectionReason.Malformed);
        Rejected(Apk(Block(Lp(Lp()))), ApkRejectionReason.Malformed); // no signers
        Rejected(Apk(Block(Lp(Lp(Lp(Lp(), Lp(), Lp()))))), ApkRejectionReason.Malformed); // no certificate
        Rejected(Apk(Block(Lp(Lp(Lp(Lp(), Lp(Lp([0x30, 0x82, 0xFF, 0xFF])), Lp()))))), ApkRejectionReason.Malformed); // not a certificate
        Rejected(Apk(Block([.. TestResFormats.U32(0x7FFFFFFF), .. v2[4..]])), ApkRejectionReason.Malformed);
    }

    private static int IndexOfNode(byte[] manifest, ushort type)
    {
        // Walk the root's children by their sizes.
        for (var at = 8; at < manifest.Length;)
        {
            if (BinaryPrimitives.ReadUInt16LittleEndian(manifest.AsSpan(at)) == type)
                return at;
            at += BinaryPrimitives.ReadInt32LittleEndian(manifest.AsSpan(at + 4));
        }
        throw new InvalidOperationException("no such node");
    }

    private static int IndexOfChunk(byte[] table, ushort type)
    {
        // The table's children: the pool, then the package (header 288) whose children hold the types.
        var package = 12 + BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(12 + 4));
        for (var at = package + 288; at < table.Length;)
        {
            if (BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(at)) == type)
                return at;
            at += BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(at + 4));
        }
        throw new InvalidOperationException("no such chunk");
    }

    private static byte[] InsertUnknownChunk(byte[] manifest)
    {
        var firstNode = IndexOfNode(manifest, 0x0100);
        var unknown = TestResFormats.Chunk(0x0777, [], [1, 2, 3, 4]);
        var result = (byte[])[.. manifest[..firstNode], .. unknown, .. manifest[firstNode..]];
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(4), result.Length);
        return result;
    }
}
