namespace ChatOpsBot.PropertyList.Tests;

public sealed class RoundTripTests
{
    public static TheoryData<string> IntegerBoundaries => new()
    {
        "0", "1", "255", "256", "65535", "65536", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551615",
        "-1", "-255", "-256", "-9223372036854775808",
    };

    [Theory]
    [MemberData(nameof(IntegerBoundaries))]
    public void IntegerBoundariesRoundTripInBothFormats(string text)
    {
        var value = new PlistInteger(Int128.Parse(text, System.Globalization.CultureInfo.InvariantCulture));

        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
            Assert.Equal(value, Plist.Parse(Plist.Serialize(value, format)));
    }

    [Theory]
    [InlineData("0", "10 00")]
    [InlineData("255", "10 FF")]
    [InlineData("256", "11 01 00")]
    [InlineData("65535", "11 FF FF")]
    [InlineData("65536", "12 00 01 00 00")]
    [InlineData("4294967296", "13 00 00 00 01 00 00 00 00")]
    [InlineData("-1", "13 FF FF FF FF FF FF FF FF")]
    [InlineData("18446744073709551615", "14 00 00 00 00 00 00 00 00 FF FF FF FF FF FF FF FF")]
    public void BinaryIntegersUseTheNarrowestAppleEncoding(string text, string hex)
    {
        var bytes = Plist.ToBinary(new PlistInteger(Int128.Parse(text, System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), bytes[8..^(32 + 1)]);
    }

    [Fact]
    public void IntegersOutsideThePlistRangeCannotBeCreated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlistInteger((Int128)ulong.MaxValue + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlistInteger((Int128)long.MinValue - 1));
    }

    [Theory]
    [InlineData(14, "AE")]
    [InlineData(15, "AF 10 0F")]
    [InlineData(255, "AF 10 FF")]
    [InlineData(256, "AF 11 01 00")]
    public void ArrayCountsSwitchToTheExtendedFormAtFifteen(int count, string header)
    {
        var array = new PlistArray();
        for (var i = 0; i < count; i++)
            array.Add(i);

        var bytes = Plist.ToBinary(array);

        Assert.Equal(Convert.FromHexString(header.Replace(" ", "", StringComparison.Ordinal)), bytes[8..(8 + (header.Length + 1) / 3)]);
        Assert.True(PlistValue.DeepEquals(array, Plist.Parse(bytes)));
        Assert.True(PlistValue.DeepEquals(array, Plist.Parse(Plist.ToXml(array))));
    }

    [Theory]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(300)]
    [InlineData(70_000)]
    public void StringsDataAndDictionariesOfEveryCountRoundTrip(int count)
    {
        var dictionary = new PlistDictionary();
        for (var i = 0; i < count; i++)
            dictionary[$"k{i}"] = i % 2 == 0 ? $"v{i}" : (PlistValue)(long)i;
        var root = new PlistDictionary
        {
            ["dict"] = dictionary,
            ["ascii"] = new string('a', count),
            ["utf16"] = new string('é', count),
            ["data"] = new byte[count],
        };

        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
            Assert.True(PlistValue.DeepEquals(root, Plist.Parse(Plist.Serialize(root, format))), format.ToString());
    }

    [Fact]
    public void MoreThan65535ObjectsUseWiderReferences()
    {
        var array = new PlistArray();
        for (var i = 0; i < 70_000; i++)
            array.Add($"s{i}");

        var bytes = Plist.ToBinary(array);

        Assert.Equal(4, bytes[^25]);
        Assert.True(PlistValue.DeepEquals(array, Plist.Parse(bytes)));
    }

    [Fact]
    public void MoreThan255ObjectsUseTwoByteReferences()
    {
        var array = new PlistArray();
        for (var i = 0; i < 300; i++)
            array.Add($"s{i}");

        var bytes = Plist.ToBinary(array);

        Assert.Equal(2, bytes[^25]);
        Assert.True(PlistValue.DeepEquals(array, Plist.Parse(bytes)));
    }

    public static TheoryData<string> Strings => new()
    {
        "", "plain ascii", "Tom & Jerry <beta>", "Mässig, Maß", "Åbenraa", "日本語", "\U0001F40D snake", "Test Test, 😰❔👍👎🔥",
        "tab\tnewline\nreturn\r", "  leading and trailing spaces  ", "]]> and &amp; literally",
    };

    [Theory]
    [MemberData(nameof(Strings))]
    public void StringsAndNonAsciiKeysRoundTripInBothFormats(string text)
    {
        var root = new PlistDictionary { [text] = text, ["array"] = new PlistArray { text } };

        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
        {
            var parsed = Plist.ParseDictionary(Plist.Serialize(root, format));
            Assert.Equal(text, parsed.GetString(text));
        }
    }

    [Fact]
    public void AsciiStringsAreWrittenAsAsciiAndOthersAsUtf16CodeUnits()
    {
        Assert.Equal(Convert.FromHexString("5461626364"), Plist.ToBinary("abcd")[8..13]);
        Assert.Equal(Convert.FromHexString("62D83DDC0D"), Plist.ToBinary("\U0001F40D")[8..13]);
    }

    public static TheoryData<DateTime> Dates => new()
    {
        new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        new DateTime(1869, 6, 1, 12, 0, 0, DateTimeKind.Utc),
        new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        new DateTime(2000, 12, 31, 23, 59, 59, DateTimeKind.Utc),
        new DateTime(2038, 1, 19, 3, 14, 8, DateTimeKind.Utc),
        new DateTime(2199, 12, 31, 23, 59, 59, DateTimeKind.Utc),
        new DateTime(9999, 12, 31, 23, 59, 59, DateTimeKind.Utc),
        new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc),
    };

    [Theory]
    [MemberData(nameof(Dates))]
    public void DatesBeforeTheEpochAndAfter2038RoundTripInBothFormats(DateTime date)
    {
        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
        {
            var parsed = (PlistDate)Plist.Parse(Plist.Serialize(date, format));
            Assert.Equal(date, parsed.Value);
            Assert.Equal(DateTimeKind.Utc, parsed.Value.Kind);
        }
    }

    [Fact]
    public void BinaryDateOfTheEpochIsEightZeroBytes()
    {
        var bytes = Plist.ToBinary(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        Assert.Equal(Convert.FromHexString("330000000000000000"), bytes[8..17]);
    }

    [Fact]
    public void XmlDatesAreTruncatedToWholeSeconds()
    {
        var date = new DateTime(2024, 2, 29, 8, 30, 15, 999, DateTimeKind.Utc);

        var parsed = (PlistDate)Plist.Parse(Plist.ToXml(date));

        Assert.Equal(new DateTime(2024, 2, 29, 8, 30, 15, DateTimeKind.Utc), parsed.Value);
    }

    [Fact]
    public void LocalDatesAreStoredAsUtc()
    {
        var local = new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Local);

        Assert.Equal(local.ToUniversalTime(), new PlistDate(local).Value);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(-32.5)]
    [InlineData(1360155352.748765)]
    [InlineData(double.Epsilon)]
    [InlineData(double.MaxValue)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.NaN)]
    public void RealsRoundTripExactlyInBothFormats(double value)
    {
        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
            Assert.Equal(new PlistReal(value), Plist.Parse(Plist.Serialize(value, format)));
    }

    [Fact]
    public void NegativeZeroKeepsItsSignInBothFormats()
    {
        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
            Assert.True(double.IsNegative(((PlistReal)Plist.Parse(Plist.Serialize(-0.0, format))).Value));
    }

    [Fact]
    public void EmptyContainersAndDataRoundTrip()
    {
        var root = new PlistDictionary
        {
            ["dict"] = new PlistDictionary(),
            ["array"] = new PlistArray(),
            ["data"] = Array.Empty<byte>(),
            ["string"] = "",
            ["uid"] = new PlistUid(uint.MaxValue + 1UL),
            ["yes"] = true,
            ["no"] = false,
        };

        foreach (var format in new[] { PlistFormat.Xml, PlistFormat.Binary })
            Assert.True(PlistValue.DeepEquals(root, Plist.Parse(Plist.Serialize(root, format))), format.ToString());
    }

    [Fact]
    public void ReadingKeepsFileOrderAndWritingSortsKeysOrdinally()
    {
        var root = new PlistDictionary { ["b"] = 1, ["a"] = 2, ["B"] = 3, ["é"] = 4, ["aa"] = 5 };

        var xml = System.Text.Encoding.UTF8.GetString(Plist.ToXml(root));
        var keys = System.Text.RegularExpressions.Regex.Matches(xml, "<key>(.*?)</key>").Select(m => m.Groups[1].Value);

        Assert.Equal(["B", "a", "aa", "b", "é"], keys);
        var unsorted = "<plist><dict><key>b</key><true/><key>a</key><true/><key>B</key><true/></dict></plist>"u8.ToArray();
        Assert.Equal(["b", "a", "B"], Plist.ParseDictionary(unsorted).Keys);
    }

    [Fact]
    public void EqualScalarsAreStoredOnceButEqualContainersAreNot()
    {
        var shared = new PlistArray { "x" };
        var root = new PlistArray { "x", "x", 1L, 1L, true, new PlistArray { "x" }, new PlistArray { "x" }, shared, shared };

        var bytes = Plist.ToBinary(root);
        var parsed = (PlistArray)Plist.Parse(bytes);

        // root, "x", 1, true, two distinct equal arrays, one shared array: 7 objects.
        Assert.Equal(7, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(bytes.Length - 24)));
        Assert.Same(parsed[7], parsed[8]);
        Assert.NotSame(parsed[5], parsed[6]);
        Assert.True(PlistValue.DeepEquals(root, parsed));
    }

    [Fact]
    public void BooleansAndIntegersAreNeverMerged()
    {
        var root = new PlistArray { true, 1L, 1.0, false, 0L, 0.0 };

        var parsed = (PlistArray)Plist.Parse(Plist.ToBinary(root));

        Assert.Equal([PlistValueKind.Boolean, PlistValueKind.Integer, PlistValueKind.Real, PlistValueKind.Boolean, PlistValueKind.Integer, PlistValueKind.Real], parsed.Select(v => v.Kind));
    }
}
