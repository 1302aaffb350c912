using System.Buffers.Binary;
using System.Text;

namespace ChatOpsBot.PropertyList.Tests;

/// <summary>
/// Malformed and hostile binary property lists: CPython's INVALID_BINARY_PLISTS and test_unsupported vectors (as
/// data), cycles, deep nesting, truncation, huge counts, trailer damage, and the accepted edge cases next to them.
/// </summary>
public sealed class InvalidBinaryTests
{
    [Theory]
    [InlineData("too short data", "")]
    [InlineData("too large offset_table_offset and offset_size = 1", "0008000000000000010100000000000000010000000000000000000000000000002A")]
    [InlineData("too large offset_table_offset and nonstandard offset_size", "00000008000000000000030100000000000000010000000000000000000000000000002C")]
    [InlineData("integer overflow in offset_table_offset", "0008000000000000010100000000000000010000000000000000FFFFFFFFFFFFFFFF")]
    [InlineData("too large top_object", "00080000000000000101000000000000000100000000000000010000000000000009")]
    [InlineData("integer overflow in top_object", "000800000000000001010000000000000001FFFFFFFFFFFFFFFF0000000000000009")]
    [InlineData("too large num_objects and offset_size = 1", "0008000000000000010100000000000000FF00000000000000000000000000000009")]
    [InlineData("too large num_objects and nonstandard offset_size", "00000008000000000000030100000000000000FF00000000000000000000000000000009")]
    [InlineData("extremally large num_objects (32 bit)", "00080000000000000101000000007FFFFFFF00000000000000000000000000000009")]
    [InlineData("extremally large num_objects (64 bit)", "00080000000000000101000000FFFFFFFFFF00000000000000000000000000000009")]
    [InlineData("integer overflow in num_objects", "00080000000000000101FFFFFFFFFFFFFFFF00000000000000000000000000000009")]
    [InlineData("offset_size = 0", "00080000000000000001000000000000000100000000000000000000000000000009")]
    [InlineData("ref_size = 0", "A10100080A000000000000010000000000000000020000000000000000000000000000000B")]
    [InlineData("too large offset", "002A0000000000000101000000000000000100000000000000000000000000000009")]
    [InlineData("integer overflow in offset", "00FFFFFFFFFFFFFFFF0000000000000801000000000000000100000000000000000000000000000009")]
    [InlineData("too large array size", "AF0001FF00080C000000000000010100000000000000020000000000000000000000000000000D")]
    [InlineData("extremally large array size (32-bit)", "AF027FFFFFFF0100080F0000000000000101000000000000000200000000000000000000000000000010")]
    [InlineData("extremally large array size (64-bit)", "AF03000000FFFFFFFFFF010008130000000000000101000000000000000200000000000000000000000000000014")]
    [InlineData("integer overflow in array size", "AF03FFFFFFFFFFFFFFFF010008130000000000000101000000000000000200000000000000000000000000000014")]
    [InlineData("too large reference index", "A10200080A000000000000010100000000000000020000000000000000000000000000000B")]
    [InlineData("integer overflow in reference index", "A1FFFFFFFFFFFFFFFF0008110000000000000108000000000000000200000000000000000000000000000012")]
    [InlineData("too large bytes size", "4F00234108000000000000010100000000000000010000000000000000000000000000000C")]
    [InlineData("extremally large bytes size (32-bit)", "4F027FFFFFFF4108000000000000010100000000000000010000000000000000000000000000000F")]
    [InlineData("extremally large bytes size (64-bit)", "4F03000000FFFFFFFFFF41080000000000000101000000000000000100000000000000000000000000000013")]
    [InlineData("integer overflow in bytes size", "4F03FFFFFFFFFFFFFFFF41080000000000000101000000000000000100000000000000000000000000000013")]
    [InlineData("too large ASCII size", "5F00234108000000000000010100000000000000010000000000000000000000000000000C")]
    [InlineData("extremally large ASCII size (32-bit)", "5F027FFFFFFF4108000000000000010100000000000000010000000000000000000000000000000F")]
    [InlineData("extremally large ASCII size (64-bit)", "5F03000000FFFFFFFFFF41080000000000000101000000000000000100000000000000000000000000000013")]
    [InlineData("integer overflow in ASCII size", "5F03FFFFFFFFFFFFFFFF41080000000000000101000000000000000100000000000000000000000000000013")]
    [InlineData("invalid ASCII", "51FF08000000000000010100000000000000010000000000000000000000000000000A")]
    [InlineData("too large UTF-16 size", "6F001320AC0008000000000000010100000000000000010000000000000000000000000000000E")]
    [InlineData("extremally large UTF-16 size (32-bit)", "6F024FFFFFFF20AC00080000000000000101000000000000000100000000000000000000000000000011")]
    [InlineData("extremally large UTF-16 size (64-bit)", "6F03000000FFFFFFFFFF20AC00080000000000000101000000000000000100000000000000000000000000000015")]
    [InlineData("integer overflow in UTF-16 size", "6F03FFFFFFFFFFFFFFFF20AC00080000000000000101000000000000000100000000000000000000000000000015")]
    [InlineData("invalid UTF-16", "61D80008000000000000010100000000000000010000000000000000000000000000000B")]
    [InlineData("non-hashable key", "D10101A0080B000000000000010100000000000000020000000000000000000000000000000C")]
    [InlineData("too large datetime (datetime overflow)", "334250000000000000080000000000000101000000000000000100000000000000000000000000000011")]
    [InlineData("too large datetime (timedelta overflow)", "3342E0000000000000080000000000000101000000000000000100000000000000000000000000000011")]
    [InlineData("invalid datetime (Infinity)", "337FF0000000000000080000000000000101000000000000000100000000000000000000000000000011")]
    [InlineData("invalid datetime (NaN)", "337FF8000000000000080000000000000101000000000000000100000000000000000000000000000011")]
    public void CPythonInvalidBinaryPlistIsRejected(string name, string hexAfterHeader)
    {
        var bytes = Concat("bplist00"u8.ToArray(), Convert.FromHexString(hexAfterHeader));

        var e = AssertRejected(bytes);

        Assert.False(string.IsNullOrEmpty(name));
        Assert.DoesNotContain("Exception", e.Message, StringComparison.Ordinal);
    }

    /// <summary>CPython's test_unsupported tokens, plus 0x00 (null) and 0x0F (fill), which we also reject.</summary>
    public static TheoryData<byte> UnsupportedMarkers()
    {
        var markers = new List<int> { 0x00, 0x0F };
        markers.AddRange(Enumerable.Range(0x01, 7));
        markers.AddRange(Enumerable.Range(0x0A, 5));
        markers.AddRange([0x20, 0x21]);
        markers.AddRange(Enumerable.Range(0x24, 0x33 - 0x24));
        markers.AddRange(Enumerable.Range(0x34, 0x40 - 0x34));
        foreach (var row in new[] { 0x70, 0x90, 0xB0, 0xC0, 0xE0, 0xF0 })
            markers.AddRange(Enumerable.Range(row, 16));
        return new TheoryData<byte>(markers.Select(m => (byte)m));
    }

    [Theory]
    [MemberData(nameof(UnsupportedMarkers))]
    public void UnsupportedMarkerIsRejected(byte marker)
    {
        var e = AssertRejected(Build([[marker, .. new byte[16]]]));

        Assert.Equal(8, e.ByteOffset);
    }

    [Theory]
    [InlineData("08", false)]
    [InlineData("09", true)]
    public void BooleanMarkersAreReadWithTheSameBuilder(string hex, bool expected)
    {
        Assert.Equal(PlistBoolean.From(expected), Plist.Parse(Build([Convert.FromHexString(hex)])));
    }

    [Theory]
    [InlineData("1000", "0")]
    [InlineData("10FE", "254")]
    [InlineData("11FEDC", "65244")]
    [InlineData("12FEDCBA98", "4275878552")]
    [InlineData("130123456789ABCDEF", "81985529216486895")]
    [InlineData("13FEDCBA9876543210", "-81985529216486896")]
    [InlineData("14FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "-1")]
    [InlineData("14FFFFFFFFFFFFFFFF8000000000000000", "-9223372036854775808")]
    [InlineData("1400000000000000000000000000000000", "0")]
    [InlineData("1400000000000000008000000000000000", "9223372036854775808")]
    [InlineData("140000000000000000FFFFFFFFFFFFFFFF", "18446744073709551615")]
    public void IntegersOfEveryWidthAreRead(string hex, string expected)
    {
        var value = Assert.IsType<PlistInteger>(Plist.Parse(Build([Convert.FromHexString(hex)])));

        Assert.Equal(Int128.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value.Value);
    }

    [Theory]
    [InlineData("1400000000000000010000000000000000")] // 2^64
    [InlineData("14FFFFFFFFFFFFFFFF7FFFFFFFFFFFFFFF")] // -2^63 - 1
    [InlineData("147FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")] // Int128.MaxValue
    [InlineData("1480000000000000000000000000000000")] // Int128.MinValue
    [InlineData("15000000000000000000000000000000000000000000000000000000000000000000")] // 32-byte integer
    public void SixteenByteIntegerOutsideThePlistRangeIsRejected(string hex)
    {
        var e = AssertRejected(Build([Convert.FromHexString(hex)]));

        Assert.Equal(8, e.ByteOffset);
    }

    [Fact]
    public void NonstandardThreeByteReferencesAndOffsetsAreRead()
    {
        var bytes = Concat("bplist00"u8.ToArray(), Convert.FromHexString(
            "D10000010000025161516200000800000F0000110000000000000303000000000000000300000000000000000000000000000013"));

        var root = Assert.IsType<PlistDictionary>(Plist.Parse(bytes));

        Assert.Equal("b", root.GetString("a"));
    }

    [Fact]
    public void DictionaryContainingItselfIsRejected()
    {
        // {"x": <itself>}
        var e = AssertRejected(Build([[0xD1, 0x01, 0x00], [0x51, (byte)'x']]));

        Assert.Equal(8, e.ByteOffset);
    }

    [Fact]
    public void ArrayContainingItselfIsRejected()
    {
        AssertRejected(Build([[0xA1, 0x00]]));
    }

    [Fact]
    public void ArrayReachingItselfThroughAnotherArrayIsRejected()
    {
        AssertRejected(Build([[0xA1, 0x01], [0xA2, 0x02, 0x00], [0x08]]));
    }

    [Fact]
    public void DictionaryKeyThatIsTheDictionaryItselfIsRejected()
    {
        AssertRejected(Build([[0xD1, 0x00, 0x01], [0x08]]));
    }

    [Fact]
    public void HundredThousandNestedArraysAreRejectedWithoutExhaustingTheStack()
    {
        var e = AssertRejected(NestedArrays(100_000));

        Assert.Contains("nest", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(Plist.MaxDepth)]
    public void NestedArraysUpToTheDepthLimitAreRead(int depth)
    {
        var value = Plist.Parse(NestedArrays(depth));

        for (var i = 0; i < depth; i++)
            value = Assert.Single(Assert.IsType<PlistArray>(value));
        Assert.Equal(new PlistString("seed"), value);
    }

    [Fact]
    public void NestedArraysOneLevelPastTheDepthLimitAreRejected()
    {
        AssertRejected(NestedArrays(Plist.MaxDepth + 1));
    }

    [Fact]
    public void SharedArraysThirtyLevelsDeepAreReadOnceAndShared()
    {
        // Object i is an array of 30 references to object i + 1; the last object is a string. As a tree this would
        // be 30^30 nodes.
        const int Levels = 30;
        var objects = new List<byte[]>();
        for (var i = 0; i < Levels; i++)
            objects.Add([0xAF, 0x10, 30, .. Enumerable.Repeat((byte)(i + 1), 30)]);
        objects.Add([0x54, .. "leaf"u8]);

        var value = Plist.Parse(Build(objects, offsetSize: 2));

        for (var i = 0; i < Levels; i++)
        {
            var array = Assert.IsType<PlistArray>(value);
            Assert.Equal(30, array.Count);
            Assert.All(array, item => Assert.Same(array[0], item));
            value = array[0];
        }
        Assert.Equal(new PlistString("leaf"), value);
    }

    [Theory]
    [InlineData("A102")] // array item
    [InlineData("D10201")] // dictionary key
    [InlineData("D10102")] // dictionary value
    [InlineData("A1FF")]
    public void ReferencePastTheLastObjectIsRejected(string hexRoot)
    {
        AssertRejected(Build([Convert.FromHexString(hexRoot), [0x51, (byte)'a']]));
    }

    [Fact]
    public void ReferenceEqualToTheObjectCountIsRejectedWithItsOffset()
    {
        var e = AssertRejected(Build([[0xA2, 0x01, 0x02], [0x08]]));

        Assert.Equal(10, e.ByteOffset);
    }

    [Theory]
    [InlineData("apple.binary.plist")]
    [InlineData("keyed-archive.binary.plist")]
    public void EveryTruncationOfAValidFileIsRejected(string file)
    {
        var bytes = TestData.Read(file);
        Assert.NotNull(Plist.Parse(bytes));

        for (var length = 0; length < bytes.Length; length++)
            AssertRejected(bytes[..length]);
    }

    [Theory]
    [InlineData(0x4F)]
    [InlineData(0x5F)]
    [InlineData(0x6F)]
    [InlineData(0xAF)]
    [InlineData(0xDF)]
    public void HugeDeclaredCountIsRejectedBeforeAllocating(byte marker)
    {
        foreach (var count in new[] { 1UL << 31, 1UL << 63, ulong.MaxValue, (1UL << 31) - 1, 1UL << 32 })
        {
            var header = new byte[10];
            header[0] = marker;
            header[1] = 0x13;
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), count);
            var e = AssertRejected(Build([[.. header, 0x41, 0x42, 0x00, 0x00], [0x08]], refSize: 1));
            Assert.Equal(8, e.ByteOffset);

            if (count <= uint.MaxValue)
            {
                var narrow = new byte[] { marker, 0x12, 0, 0, 0, 0, 0x41, 0x42 };
                BinaryPrimitives.WriteUInt32BigEndian(narrow.AsSpan(2), (uint)count);
                AssertRejected(Build([narrow, [0x08]]));
            }
        }
    }

    [Theory]
    [InlineData("4F1F000000000000000001")] // a 16-byte count
    [InlineData("4F4101")] // a count that is not an integer
    [InlineData("4F")] // a count marker past the object area
    [InlineData("4F13000000")] // a count cut short
    public void MalformedExtendedCountIsRejected(string hex)
    {
        AssertRejected(Build([Convert.FromHexString(hex)]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(255)]
    public void TrailerOffsetSizeOutsideOneToEightIsRejected(byte size)
    {
        var bytes = Build([[0x08]]);
        bytes[^26] = size;

        Assert.Equal(bytes.Length - 26, AssertRejected(bytes).ByteOffset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(255)]
    public void TrailerReferenceSizeOutsideOneToEightIsRejected(byte size)
    {
        var bytes = Build([[0xA1, 0x01], [0x08]]);
        bytes[^25] = size;

        Assert.Equal(bytes.Length - 25, AssertRejected(bytes).ByteOffset);
    }

    [Theory]
    [InlineData(2UL)]
    [InlineData(3UL)]
    [InlineData(1UL << 32)]
    [InlineData(ulong.MaxValue)]
    public void TopObjectOutsideTheObjectTableIsRejected(ulong top)
    {
        AssertRejected(Build([[0x08], [0x09]], topObject: top));
    }

    [Fact]
    public void TopObjectInsideTheTableIsRead()
    {
        Assert.Equal(PlistBoolean.True, Plist.Parse(Build([[0x08], [0x09]], topObject: 1)));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(8UL)] // the header, where no object table can be
    [InlineData(10UL)] // inside the object area, so the table does not end at the trailer
    [InlineData(12UL)] // the trailer itself
    [InlineData(1000UL)]
    [InlineData(ulong.MaxValue)]
    public void OffsetTableOffsetOutOfPlaceIsRejected(ulong tableOffset)
    {
        var bytes = Build([[0x08]]);
        Assert.Equal(9UL, BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(bytes.Length - 8)));
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(bytes.Length - 8), tableOffset);

        AssertRejected(bytes);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(2UL)]
    [InlineData(1UL << 32)]
    [InlineData(ulong.MaxValue)]
    public void ObjectCountThatDisagreesWithTheTableIsRejected(ulong count)
    {
        var bytes = Build([[0x08]]);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(bytes.Length - 24), count);

        AssertRejected(bytes);
    }

    [Fact]
    public void JunkBetweenTheOffsetTableAndTheTrailerIsRejected()
    {
        var valid = Build([[0x08]]);
        var bytes = Concat(valid[..^32], [0x00, 0x00], valid[^32..]);

        AssertRejected(bytes);
    }

    [Fact]
    public void JunkAfterTheTrailerIsRejected()
    {
        AssertRejected(Concat(TestData.Read("apple.binary.plist"), [0x00]));
    }

    [Fact]
    public void OffsetPointingIntoTheHeaderOrTheTableIsRejected()
    {
        var intoHeader = Build([[0x08]]);
        intoHeader[9] = 7;
        var intoTable = Build([[0x08]]);
        intoTable[9] = 9;

        Assert.Equal(9, AssertRejected(intoHeader).ByteOffset);
        Assert.Equal(9, AssertRejected(intoTable).ByteOffset);
    }

    [Fact]
    public void ReferenceSizeTooSmallForTheObjectCountIsRejected()
    {
        var objects = Enumerable.Repeat(new byte[] { 0x08 }, 256).ToList();

        AssertRejected(Build(objects, offsetSize: 2, refSize: 1));
    }

    [Fact]
    public void OffsetSizeTooSmallToReachTheTableIsRejected()
    {
        // 288 bytes of data push the table past 255, which a one-byte offset cannot reach.
        var bytes = Build([[0x4F, 0x11, 0x01, 0x20, .. new byte[288]], [0x08]], offsetSize: 1);
        var tableOffset = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(bytes.Length - 8));
        Assert.True(tableOffset > 255);

        AssertRejected(bytes);
    }

    [Theory]
    [InlineData("bplist15")]
    [InlineData("bplist10")]
    [InlineData("bplist16")]
    [InlineData("bplist17")]
    [InlineData("bplist1x")]
    [InlineData("bplist20")]
    public void OtherBinaryVersionsAreRejected(string header)
    {
        var e = AssertRejected(Build([[0x09]], header: header));

        Assert.Equal(6, e.ByteOffset);
    }

    [Fact]
    public void VersionZeroOneIsReadLikeZeroZero()
    {
        Assert.Equal(PlistBoolean.True, Plist.Parse(Build([[0x09]], header: "bplist01")));
    }

    [Theory]
    [InlineData("5180")]
    [InlineData("51FF")]
    [InlineData("54616263FF")] // the byte at the end of a longer string
    public void AsciiStringWithAByteAbove7FIsRejected(string hex)
    {
        Assert.Equal(8, AssertRejected(Build([Convert.FromHexString(hex)])).ByteOffset);
    }

    [Theory]
    [InlineData("61D800")] // lone high surrogate
    [InlineData("61DC00")] // lone low surrogate
    [InlineData("62D8000041")] // high surrogate followed by a letter
    [InlineData("62DC00D800")] // the pair in the wrong order
    [InlineData("6100")] // one code unit declared, one byte present (odd length)
    [InlineData("6300410042")] // three code units declared, five bytes present
    public void InvalidUtf16StringIsRejected(string hex)
    {
        Assert.Equal(8, AssertRejected(Build([Convert.FromHexString(hex)])).ByteOffset);
    }

    [Theory]
    [InlineData("61D800", "D800")] // code units as hex: theory data would turn a lone surrogate into U+FFFD
    [InlineData("61DC00", "DC00")]
    [InlineData("62D8000041", "D800 0041")]
    [InlineData("62DC00D800", "DC00 D800")]
    public void LoneSurrogatesAreKeptWhenTheCallerAsksForThem(string hex, string expectedUnits)
    {
        var value = Plist.Parse(Build([Convert.FromHexString(hex)]), new PlistReaderOptions { KeepLoneSurrogates = true });

        var units = Assert.IsType<PlistString>(value).Value.Select(c => ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expectedUnits, string.Join(' ', units));
        Assert.Throws<ArgumentException>(() => Plist.ToXml(value));
    }

    [Theory]
    [InlineData("6100")]
    [InlineData("6300410042")]
    public void TruncatedUtf16StringIsRejectedEvenWhenLoneSurrogatesAreKept(string hex)
    {
        var e = Assert.Throws<PropertyListFormatException>(() =>
            Plist.Parse(Build([Convert.FromHexString(hex)]), new PlistReaderOptions { KeepLoneSurrogates = true }));
        Assert.Equal(8, e.ByteOffset);
    }

    [Fact]
    public void Utf16StringWithASurrogatePairIsRead()
    {
        Assert.Equal(new PlistString("\U0001F40D"), Plist.Parse(Build([Convert.FromHexString("62D83DDC0D")])));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(1e300)]
    [InlineData(-1e300)]
    [InlineData(252_423_993_600.0)] // one second after 9999-12-31T23:59:59Z
    [InlineData(-63_113_904_001.0)] // one second before 0001-01-01T00:00:00Z
    public void DateThatIsNotARepresentableInstantIsRejected(double seconds)
    {
        var date = new byte[9];
        date[0] = 0x33;
        BinaryPrimitives.WriteDoubleBigEndian(date.AsSpan(1), seconds);

        Assert.Equal(8, AssertRejected(Build([date])).ByteOffset);
    }

    [Theory]
    [InlineData(0.0, "2001-01-01T00:00:00Z")]
    [InlineData(-978_307_200.0, "1970-01-01T00:00:00Z")]
    [InlineData(-4_759_757_633.0, "1850-03-04T05:06:07Z")]
    [InlineData(252_423_993_599.0, "9999-12-31T23:59:59Z")]
    [InlineData(-63_113_904_000.0, "0001-01-01T00:00:00Z")]
    public void DatesAtTheEdgesOfTheRangeAreRead(double seconds, string expected)
    {
        var date = new byte[9];
        date[0] = 0x33;
        BinaryPrimitives.WriteDoubleBigEndian(date.AsSpan(1), seconds);

        var value = Assert.IsType<PlistDate>(Plist.Parse(Build([date])));

        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal), value.Value);
        Assert.Equal(DateTimeKind.Utc, value.Value.Kind);
    }

    [Theory]
    [InlineData("1001")] // integer
    [InlineData("A0")] // array (CPython's "non-hashable key")
    [InlineData("D0")] // dictionary
    [InlineData("4141")] // data
    [InlineData("8001")] // UID
    [InlineData("09")] // boolean
    [InlineData("233FF0000000000000")] // real
    public void DictionaryKeyThatIsNotAStringIsRejected(string keyHex)
    {
        var e = AssertRejected(Build([[0xD1, 0x01, 0x02], Convert.FromHexString(keyHex), [0x08]]));

        Assert.Equal(11, e.ByteOffset);
    }

    [Fact]
    public void DictionaryWithUtf16AndAsciiKeysIsRead()
    {
        var root = Assert.IsType<PlistDictionary>(Plist.Parse(Build([[0xD2, 0x01, 0x02, 0x03, 0x03], [0x51, (byte)'a'], Convert.FromHexString("6100C5"), [0x09]])));

        Assert.Equal(true, root.GetBoolean("a"));
        Assert.Equal(true, root.GetBoolean("Å"));
    }

    [Fact]
    public void CorruptedTextModeCopyIsRejected()
    {
        // A binary file copied in text mode: every byte above 0x7F replaced by EF BF BD (U+FFFD in UTF-8).
        var original = TestData.Read("apple.binary.plist");
        var corrupted = original.SelectMany(b => b > 0x7F ? new byte[] { 0xEF, 0xBF, 0xBD } : new[] { b }).ToArray();
        Assert.NotEqual(original.Length, corrupted.Length);

        AssertRejected(corrupted);
    }

    private static PropertyListFormatException AssertRejected(byte[] bytes)
    {
        var e = Assert.Throws<PropertyListFormatException>(() => Plist.Parse(bytes));
        Assert.NotNull(e.ByteOffset);
        Assert.InRange(e.ByteOffset.Value, 0, bytes.Length);
        return e;
    }

    /// <summary>CPython's test_deep_nesting document: <paramref name="depth"/> one-element arrays with 4-byte refs around "seed".</summary>
    private static byte[] NestedArrays(int depth)
    {
        var objects = new List<byte[]>(depth + 1);
        for (var i = 0; i < depth; i++)
        {
            var array = new byte[5];
            array[0] = 0xA1;
            BinaryPrimitives.WriteUInt32BigEndian(array.AsSpan(1), (uint)(i + 1));
            objects.Add(array);
        }
        objects.Add([0x54, .. "seed"u8]);
        return Build(objects, offsetSize: 4, refSize: 4);
    }

    /// <summary>Lays objects out as a binary property list: header, objects in order, offset table, trailer.</summary>
    internal static byte[] Build(IReadOnlyList<byte[]> objects, int offsetSize = 1, int refSize = 1, ulong topObject = 0, string header = "bplist00")
    {
        using var output = new MemoryStream();
        output.Write(Encoding.ASCII.GetBytes(header));
        var offsets = new List<long>();
        foreach (var obj in objects)
        {
            offsets.Add(output.Position);
            output.Write(obj);
        }
        var tableOffset = (ulong)output.Position;
        Span<byte> buffer = stackalloc byte[8];
        foreach (var offset in offsets)
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer, (ulong)offset);
            output.Write(buffer[(8 - offsetSize)..]);
        }
        output.Write(new byte[6]);
        output.WriteByte((byte)offsetSize);
        output.WriteByte((byte)refSize);
        foreach (var field in new[] { (ulong)objects.Count, topObject, tableOffset })
        {
            BinaryPrimitives.WriteUInt64BigEndian(buffer, field);
            output.Write(buffer);
        }
        return output.ToArray();
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
