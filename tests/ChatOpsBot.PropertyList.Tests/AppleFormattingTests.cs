namespace ChatOpsBot.PropertyList.Tests;

public sealed class AppleFormattingTests
{
    [Theory]
    [InlineData("apple.xml.plist", PlistFormat.Xml)]
    [InlineData("apple.binary.plist", PlistFormat.Binary)]
    public void AppleGeneratedDocumentIsRewrittenByteForByte(string file, PlistFormat format)
    {
        var original = TestData.Read(file);

        var value = Plist.Parse(original, out var detected);

        Assert.Equal(format, detected);
        Assert.Equal(original, Plist.Serialize(value, format));
    }

    [Fact]
    public void XmlAndBinaryAppleDocumentsHoldTheSameValues()
    {
        var xml = Plist.Parse(TestData.Read("apple.xml.plist"));
        var binary = Plist.Parse(TestData.Read("apple.binary.plist"));

        Assert.True(PlistValue.DeepEquals(xml, binary));
    }

    [Fact]
    public void AppleDocumentValuesAreReadWithTheirTypes()
    {
        var root = Plist.ParseDictionary(TestData.Read("apple.binary.plist"));

        Assert.Equal(long.MaxValue - 43, root.GetInteger("aBigInt"));
        Assert.Equal((Int128)long.MaxValue + 45, ((PlistInteger)root["aBigInt2"]).Value);
        Assert.Null(root.GetInteger("aBigInt2"));
        Assert.Equal(-80000000000, root.GetInteger("aNegativeBigInt"));
        Assert.Equal(new DateTime(2004, 10, 26, 10, 33, 33, DateTimeKind.Utc), root.GetDate("aDate"));
        Assert.Equal(DateTimeKind.Utc, root.GetDate("aDate")!.Value.Kind);
        Assert.Equal(0.5, root.GetReal("aFloat"));
        Assert.Equal("Mässig, Maß", root.GetDictionary("aDict")!.GetString("aUnicodeValue"));
        Assert.Equal("<hello & 'hi' there!>", root.GetDictionary("aDict")!.GetString("anotherString"));
        Assert.Equal(true, root.GetDictionary("aDict")!.GetBoolean("aTrueValue"));
        Assert.Equal("<binary gunk>"u8.ToArray(), root.GetData("someData")!.Value.ToArray());
        Assert.Empty(root.GetArray("anEmptyList")!);
        Assert.Empty(root.GetDictionary("anEmptyDict")!);
        Assert.Null(root.GetString("absent"));
        Assert.Null(root.GetString("anInt"));
    }

    [Fact]
    public void KeyedArchiveUidsAreRead()
    {
        var root = Plist.ParseDictionary(TestData.Read("keyed-archive.binary.plist"));

        var top = root.GetDictionary("$top")!;
        Assert.Equal(new PlistUid(1), top["root"]);
        Assert.True(PlistValue.DeepEquals(root, Plist.Parse(Plist.ToBinary(root))));
        Assert.True(PlistValue.DeepEquals(root, Plist.Parse(Plist.ToXml(root))));
    }
}
