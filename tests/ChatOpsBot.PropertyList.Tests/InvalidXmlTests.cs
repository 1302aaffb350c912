using System.Text;

namespace ChatOpsBot.PropertyList.Tests;

/// <summary>
/// XML property lists: CPython's invalid-document cases (recreated as data), entity and DTD handling, the spellings
/// Apple's reader accepts, and what the XML writer must refuse.
/// </summary>
public sealed class InvalidXmlTests
{
    [Theory]
    [InlineData("<key>key inside an array</key>")]
    [InlineData("<key>key inside an array2</key><real>3</real>")]
    [InlineData("<true/><key>key inside an array3</key>")]
    public void KeyInsideAnArrayIsRejected(string content)
    {
        AssertRejected($"<plist><array>{content}</array></plist>");
    }

    [Theory]
    [InlineData("<key><true/>k</key><string>compound key</string>")]
    [InlineData("<key>single key</key>")]
    [InlineData("<string>missing key</string>")]
    [InlineData("<key>k1</key><string>v1</string><real>5.3</real><key>k1</key><key>k2</key><string>double key</string>")]
    [InlineData("<key>k1</key><key>k2</key><string>double key</string>")]
    public void MalformedDictionaryIsRejectedAtTheRootAndInsideAnArray(string content)
    {
        AssertRejected($"<plist><dict>{content}</dict></plist>");
        AssertRejected($"<plist><array><dict>{content}</dict></array></plist>");
    }

    [Theory]
    [InlineData("<integer>not integer</integer>")]
    [InlineData("<integer>not real</integer>")]
    [InlineData("<real>not real</real>")]
    [InlineData("<integer>1.5</integer>")]
    [InlineData("<integer>0x</integer>")]
    [InlineData("<integer>-</integer>")]
    [InlineData("<integer>0xg1</integer>")]
    [InlineData("<integer>1 2</integer>")]
    [InlineData("<real>1.0.0</real>")]
    [InlineData("<real>infinite</real>")]
    [InlineData("<real></real>")]
    public void NumberThatDoesNotParseIsRejected(string element)
    {
        AssertRejected($"<plist>{element}</plist>");
    }

    [Theory]
    [InlineData("18446744073709551616")] // 2^64
    [InlineData("-9223372036854775809")] // -2^63 - 1
    [InlineData("0x10000000000000000")]
    [InlineData("-0x8000000000000001")]
    [InlineData("99999999999999999999999999999999999999999999999999")]
    public void IntegerJustOutsideThePlistRangeIsRejected(string text)
    {
        AssertRejected($"<plist><integer>{text}</integer></plist>");
    }

    [Theory]
    [InlineData("18446744073709551615", "18446744073709551615")]
    [InlineData("-9223372036854775808", "-9223372036854775808")]
    [InlineData("0xFFFFFFFFFFFFFFFF", "18446744073709551615")]
    [InlineData("-0x8000000000000000", "-9223372036854775808")]
    [InlineData("456", "456")]
    [InlineData("0xa", "10")]
    [InlineData("0XA", "10")]
    [InlineData("0123", "123")]
    [InlineData("+7", "7")]
    [InlineData(" \n\t42 \n", "42")]
    [InlineData("0x73709551615", "7932961166869")]
    public void IntegerNotationsAreRead(string text, string expected)
    {
        var value = Assert.IsType<PlistInteger>(Parse($"<plist><integer>{text}</integer></plist>"));

        Assert.Equal(Int128.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value.Value);
    }

    [Theory]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("+inf", double.PositiveInfinity)]
    [InlineData("-inf", double.NegativeInfinity)]
    [InlineData("infinity", double.PositiveInfinity)]
    [InlineData("+infinity", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    [InlineData("INF", double.PositiveInfinity)]
    [InlineData("nan", double.NaN)]
    [InlineData("NaN", double.NaN)]
    [InlineData("10", 10.0)]
    [InlineData("-0.5e-3", -0.0005)]
    [InlineData("1360155352.748765", 1360155352.748765)]
    public void RealSpellingsAreRead(string text, double expected)
    {
        var value = Assert.IsType<PlistReal>(Parse($"<plist><real>{text}</real></plist>"));

        Assert.Equal(expected, value.Value);
    }

    [Theory]
    [InlineData("<integer/>")]
    [InlineData("<real/>")]
    [InlineData("<date/>")]
    [InlineData("<integer></integer>")]
    [InlineData("<date></date>")]
    [InlineData("<date>2004-10-26T10:33:33</date>")]
    [InlineData("<date>2004-13-26T10:33:33Z</date>")]
    [InlineData("<date>2004-02-30T10:33:33Z</date>")]
    [InlineData("<date>2004-10-26T24:00:00Z</date>")]
    [InlineData("<date>0000-01-01T00:00:00Z</date>")]
    [InlineData("<date>2004-10-26 10:33:33Z</date>")]
    [InlineData("<date>2004-10-26T10:33:33.5Z</date>")]
    [InlineData("<true>yes</true>")]
    public void EmptyOrMalformedScalarIsRejected(string element)
    {
        AssertRejected($"<plist>{element}</plist>");
    }

    [Theory]
    [InlineData("<data>!!!!</data>")]
    [InlineData("<data>AAA</data>")]
    [InlineData("<data>AA=A</data>")]
    [InlineData("<data>QUJD\u00e9</data>")]
    public void DataThatIsNotBase64IsRejected(string element)
    {
        AssertRejected($"<plist>{element}</plist>");
    }

    [Fact]
    public void DataWithWhitespaceBetweenGroupsIsRead()
    {
        var value = Assert.IsType<PlistData>(Parse("<plist><data>\n\tAAAA BBBB\r\n CCCC\n</data></plist>"));

        Assert.Equal(Convert.FromBase64String("AAAABBBBCCCC"), value.ToArray());
    }

    [Theory]
    [InlineData("<null/>")]
    [InlineData("<set><string>a</string></set>")]
    [InlineData("<uid>1</uid>")]
    [InlineData("<String>a</String>")]
    [InlineData("<dict><key>a</key><null/></dict>")]
    [InlineData("<array><string>a</string><bogus/></array>")]
    public void UnknownTagIsRejected(string element)
    {
        AssertRejected($"<plist>{element}</plist>");
    }

    [Theory]
    [InlineData("<plist><string>a &amp b</string></plist>")]
    [InlineData("<plist><string>a &ampx; b</string></plist>")]
    [InlineData("<plist><string>a & b</string></plist>")]
    [InlineData("<plist><string>a &unknown; b</string></plist>")]
    [InlineData("<plist><string>a &#xD800; b</string></plist>")]
    [InlineData("<plist><string>a &#xZZ; b</string></plist>")]
    [InlineData("<plist><string>a < b</string></plist>")]
    public void MalformedReferenceOrMarkupIsRejected(string xml)
    {
        AssertRejected(xml);
    }

    [Fact]
    public void EntityDeclarationIsRejected()
    {
        // CPython's XML_PLIST_WITH_ENTITY.
        const string Xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\" [\n" +
            "   <!ENTITY entity \"replacement text\">\n" +
            "  ]>\n" +
            "<plist version=\"1.0\">\n  <dict>\n    <key>A</key>\n    <string>&entity;</string>\n  </dict>\n</plist>\n";

        var e = AssertRejected(Xml);

        Assert.DoesNotContain("replacement text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BillionLaughsIsRejectedWithoutExpansion()
    {
        var declarations = new StringBuilder("<!ENTITY a0 \"lol\">");
        for (var i = 1; i < 10; i++)
            declarations.Append($"<!ENTITY a{i} \"{string.Concat(Enumerable.Repeat($"&a{i - 1};", 10))}\">");

        AssertRejected($"<?xml version=\"1.0\"?><!DOCTYPE plist [{declarations}]><plist><string>&a9;</string></plist>");
    }

    [Fact]
    public void ExternalEntityPointingAtALocalFileIsNeverRead()
    {
        var secret = Path.Combine(Path.GetTempPath(), $"plist-xxe-{Guid.NewGuid():N}.txt");
        File.WriteAllText(secret, "TOP-SECRET-CONTENT");
        try
        {
            var uri = new Uri(secret).AbsoluteUri;
            var e = AssertRejected(
                $"<?xml version=\"1.0\"?>\n<!DOCTYPE plist [<!ENTITY xxe SYSTEM \"{uri}\">]>\n<plist><string>&xxe;</string></plist>");

            Assert.DoesNotContain("TOP-SECRET", e.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void ExternalDtdDeclaringAnEntityIsNeverLoaded()
    {
        var dtd = Path.Combine(Path.GetTempPath(), $"plist-dtd-{Guid.NewGuid():N}.dtd");
        File.WriteAllText(dtd, "<!ENTITY greeting \"TOP-SECRET-CONTENT\">");
        try
        {
            var uri = new Uri(dtd).AbsoluteUri;
            var e = AssertRejected($"<?xml version=\"1.0\"?>\n<!DOCTYPE plist SYSTEM \"{uri}\">\n<plist><string>&greeting;</string></plist>");

            Assert.DoesNotContain("TOP-SECRET", e.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(dtd);
        }
    }

    [Fact]
    public void DocumentWhoseSystemDtdIsMissingStillParsesBecauseTheDtdIsNeverFetched()
    {
        var missing = new Uri(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "PropertyList-1.0.dtd")).AbsoluteUri;

        var value = Parse($"<?xml version=\"1.0\"?>\n<!DOCTYPE plist SYSTEM \"{missing}\">\n<plist><string>ok</string></plist>");

        Assert.Equal(new PlistString("ok"), value);
    }

    [Fact]
    public void ContainersNestedSixHundredDeepAreRejected()
    {
        var e = AssertRejected($"<plist>{Nested(600)}</plist>");

        Assert.Contains("nest", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContainersNestedOnePastTheLimitAreRejected()
    {
        AssertRejected($"<plist>{Nested(Plist.MaxDepth + 1)}</plist>");
    }

    [Fact]
    public void ContainersNestedToTheLimitAreRead()
    {
        var value = Parse($"<plist>{Nested(Plist.MaxDepth)}</plist>");

        for (var i = 0; i < Plist.MaxDepth; i++)
            value = Assert.Single(Assert.IsType<PlistArray>(value));
        Assert.Equal(new PlistString("seed"), value);
    }

    [Fact]
    public void HundredThousandNestedArraysAreRejectedWithoutExhaustingTheStack()
    {
        AssertRejected($"<plist>{Nested(100_000)}</plist>");
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x01)]
    [InlineData(0x08)]
    [InlineData(0x0B)]
    [InlineData(0x0C)]
    [InlineData(0x1F)]
    public void ControlCharacterInTextIsRejected(int c)
    {
        AssertRejected(Encoding.UTF8.GetBytes($"<plist><string>a{(char)c}b</string></plist>"));
        AssertRejected($"<plist><string>a&#{c};b</string></plist>");
        AssertRejected($"<plist><dict><key>a&#x{c:X};b</key><true/></dict></plist>");
    }

    [Theory]
    [InlineData("-//Apple//DTD PLIST 1.0//EN")]
    [InlineData("-//Apple Computer//DTD PLIST 1.0//EN")]
    public void BothAppleDoctypeSpellingsAreRead(string publicId)
    {
        var value = Parse(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
            $"<!DOCTYPE plist PUBLIC \"{publicId}\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" +
            "<plist version=\"1.0\">\n<dict>\n\t<key>a</key>\n\t<string>b</string>\n</dict>\n</plist>\n");

        Assert.Equal("b", Assert.IsType<PlistDictionary>(value).GetString("a"));
    }

    [Theory]
    [InlineData("<string><![CDATA[<a & b>]]></string>", "<a & b>")]
    [InlineData("<string>x<![CDATA[ & ]]>y</string>", "x & y")]
    [InlineData("<string>&amp; &quot; &apos; &lt; &gt; &#x20ac;</string>", "& \" ' < > \u20ac")]
    [InlineData("<string>a&#13;b</string>", "a\rb")]
    [InlineData("<string>&#x1F40D;&#128013;</string>", "\U0001F40D\U0001F40D")]
    [InlineData("<string>ab<!-- a comment -->cd</string>", "abcd")]
    [InlineData("<string>ab<!-- one --> <!-- two -->cd</string>", "ab cd")]
    [InlineData("<string>  spaced \n out  </string>", "  spaced \n out  ")]
    [InlineData("<string>a\r\nb</string>", "a\nb")]
    [InlineData("<string/>", "")]
    [InlineData("<string></string>", "")]
    [InlineData("<string>\U0001F40D</string>", "\U0001F40D")]
    public void StringTextIsReadExactly(string element, string expected)
    {
        Assert.Equal(new PlistString(expected), Parse($"<plist>{element}</plist>"));
    }

    [Fact]
    public void KeyHoldingOnlyACommentIsAnEmptyKey()
    {
        var root = Assert.IsType<PlistDictionary>(Parse("<plist><dict><key><!-- nothing --></key><true/><key></key><false/></dict></plist>"));

        Assert.Equal(false, root.GetBoolean(""));
        Assert.Single(root);
    }

    [Theory]
    [InlineData("utf-8", true)]
    [InlineData("utf-16LE", true)]
    [InlineData("utf-16BE", true)]
    [InlineData("utf-8", false)]
    public void EncodingsWithAByteOrderMarkAreRead(string encodingName, bool bom)
    {
        var encoding = Encoding.GetEncoding(encodingName);
        var text = Encoding.UTF8.GetString(TestData.Read("apple.xml.plist"));
        if (encoding is UnicodeEncoding)
            text = text.Replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"", StringComparison.Ordinal);
        var bytes = bom ? [.. encoding.GetPreamble(), .. encoding.GetBytes(text)] : encoding.GetBytes(text);

        var value = Plist.Parse(bytes, out var format);

        Assert.Equal(PlistFormat.Xml, format);
        Assert.True(PlistValue.DeepEquals(Plist.Parse(TestData.Read("apple.xml.plist")), value));
    }

    [Theory]
    [InlineData("<array><integer>1</integer></array>")]
    [InlineData("<?xml version=\"1.0\"?>\n<array><integer>1</integer></array>")]
    [InlineData("\n  <array>\n<integer>1</integer></array>\n")]
    public void BareRootWithoutPlistElementIsRead(string xml)
    {
        var value = Assert.IsType<PlistArray>(Parse(xml));

        Assert.Equal(new PlistInteger(1), Assert.Single(value));
    }

    [Theory]
    [InlineData("<plist></plist>")]
    [InlineData("<plist/>")]
    [InlineData("<plist><true/><false/></plist>")]
    [InlineData("<plist><true/></plist><plist/>")]
    [InlineData("<plist><true/></plist>trailing")]
    [InlineData("<plist>text<true/></plist>")]
    [InlineData("<plist><array><true/></plist>")]
    [InlineData("<plist><array>")]
    [InlineData("<?xml version=\"1.0\"?>")]
    [InlineData("<?xml version=\"1.0\"?>\n<!-- only a comment -->\n")]
    [InlineData("<")]
    public void DocumentWithoutExactlyOneValueIsRejected(string xml)
    {
        AssertRejected(xml);
    }

    [Fact]
    public void UnsupportedDeclaredEncodingIsRejected()
    {
        AssertRejected("<?xml version=\"1.0\" encoding=\"x-no-such-encoding\"?><plist><true/></plist>");
    }

    [Fact]
    public void InvalidUtf8IsRejected()
    {
        AssertRejected([.. "<plist><string>"u8, 0xC3, 0x28, .. "</string></plist>"u8]);
        AssertRejected([.. "<plist><string>"u8, 0xED, 0xA0, 0x80, .. "</string></plist>"u8]);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x01)]
    [InlineData(0x08)]
    [InlineData(0x0B)]
    [InlineData(0x0C)]
    [InlineData(0x1B)]
    [InlineData(0x1F)]
    [InlineData(0xFFFE)]
    [InlineData(0xFFFF)]
    public void WriterRefusesCharactersXmlCannotCarry(int c)
    {
        var text = $"string containing {(char)c}";

        Assert.Throws<ArgumentException>(() => Plist.ToXml(text));
        Assert.Throws<ArgumentException>(() => Plist.ToXml(new PlistDictionary { [text] = true }));
        Assert.Equal(new PlistString(text), Plist.Parse(Plist.ToBinary(text)));
    }

    [Theory]
    [InlineData('\t')]
    [InlineData('\n')]
    [InlineData('\r')]
    [InlineData(' ')]
    [InlineData('&')]
    [InlineData('<')]
    [InlineData('>')]
    public void WriterCarriesTheLegalSpecialCharactersExactly(char c)
    {
        var text = $"string containing {c} and {c}{c}\r\n";

        Assert.Equal(new PlistString(text), Plist.Parse(Plist.ToXml(text)));
        Assert.Equal(new PlistString(text), Plist.Parse(Plist.ToXml(new PlistDictionary { [text] = text }).AsMemory()).AsDictionary()!.Get(text));
    }

    [Theory]
    [InlineData("D8FF")]
    [InlineData("DCFF")]
    [InlineData("0061D83D")]
    [InlineData("DC0DD83D")]
    [InlineData("D83DD83DDC0DDC0D")]
    public void WritersRefuseLoneSurrogates(string utf16Hex)
    {
        // As hex, because theory data is serialised as UTF-8, which would turn a lone surrogate into U+FFFD.
        var text = string.Concat(Enumerable.Range(0, utf16Hex.Length / 4)
            .Select(i => (char)Convert.ToUInt16(utf16Hex.Substring(i * 4, 4), 16)));
        Assert.Contains(text, char.IsSurrogate);

        Assert.Throws<ArgumentException>(() => Plist.ToXml(text));
        Assert.Throws<ArgumentException>(() => Plist.ToBinary(text));
        Assert.Throws<ArgumentException>(() => Plist.ToXml(new PlistDictionary { [text] = 1L }));
        Assert.Throws<ArgumentException>(() => Plist.ToBinary(new PlistDictionary { [text] = 1L }));
    }

    [Fact]
    public void NonBmpCharactersRoundTripInBothFormats()
    {
        var value = new PlistDictionary { ["python"] = "\U0001F40D", ["\U0001F40D"] = "key" };

        Assert.True(PlistValue.DeepEquals(value, Plist.Parse(Plist.ToXml(value))));
        Assert.True(PlistValue.DeepEquals(value, Plist.Parse(Plist.ToBinary(value))));
    }

    [Fact]
    public void WritersRefuseAnArrayContainingItself()
    {
        var array = new PlistArray { "a" };
        array.Add(array);

        Assert.Throws<ArgumentException>(() => Plist.ToXml(array));
        Assert.Throws<ArgumentException>(() => Plist.ToBinary(array));
    }

    [Fact]
    public void WritersRefuseADictionaryReachingItselfThroughAnArray()
    {
        var dictionary = new PlistDictionary();
        dictionary["items"] = new PlistArray { 1L, new PlistArray { dictionary } };

        Assert.Throws<ArgumentException>(() => Plist.ToXml(dictionary));
        Assert.Throws<ArgumentException>(() => Plist.ToBinary(dictionary));
    }

    [Fact]
    public void WritersAcceptTheSameContainerTwiceWhenItIsNotACycle()
    {
        var shared = new PlistArray { "x" };
        var root = new PlistArray { shared, shared };

        Assert.True(PlistValue.DeepEquals(root, Plist.Parse(Plist.ToXml(root))));
        Assert.True(PlistValue.DeepEquals(root, Plist.Parse(Plist.ToBinary(root))));
    }

    private static string Nested(int depth) =>
        string.Concat(Enumerable.Repeat("<array>", depth)) + "<string>seed</string>" + string.Concat(Enumerable.Repeat("</array>", depth));

    private static PlistValue Parse(string xml) => Plist.Parse(Encoding.UTF8.GetBytes(xml));

    private static PropertyListFormatException AssertRejected(string xml) => AssertRejected(Encoding.UTF8.GetBytes(xml));

    private static PropertyListFormatException AssertRejected(byte[] bytes)
    {
        var e = Assert.Throws<PropertyListFormatException>(() => Plist.Parse(bytes));
        Assert.Null(e.ByteOffset);
        Assert.NotNull(e.LineNumber);
        Assert.True(e.LineNumber > 0);
        return e;
    }
}
