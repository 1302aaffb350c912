namespace ChatOpsBot.PropertyList.Tests;

public sealed class ApiTests
{
    [Fact]
    public void ValuesBuiltInCodeReadBackThroughTypedGetters()
    {
        var info = new PlistDictionary
        {
            ["CFBundleIdentifier"] = "com.example.app",
            ["UIDeviceFamily"] = new PlistArray { 1, 2 },
            ["LSRequiresIPhoneOS"] = true,
            ["Build"] = 42,
            ["Ratio"] = 0.25,
            ["Created"] = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            ["Blob"] = new byte[] { 1, 2, 3 },
            ["Icons"] = new PlistDictionary { ["Files"] = new PlistArray { "AppIcon60x60", 7 } },
        };

        var parsed = Plist.ParseDictionary(Plist.ToBinary(info));

        Assert.Equal("com.example.app", parsed.GetString("CFBundleIdentifier"));
        Assert.Equal(42, parsed.GetInteger("Build"));
        Assert.Equal(true, parsed.GetBoolean("LSRequiresIPhoneOS"));
        Assert.Equal(0.25, parsed.GetReal("Ratio"));
        Assert.Equal(new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc), parsed.GetDate("Created"));
        Assert.Equal(new byte[] { 1, 2, 3 }, parsed.GetData("Blob")!.Value.ToArray());
        Assert.Equal(["AppIcon60x60"], parsed.GetDictionary("Icons")!.GetStrings("Files")!);
        Assert.Equal(2, parsed.GetArray("UIDeviceFamily")!.Count);
    }

    [Fact]
    public void TypedGettersReturnNullForAbsentKeysAndOtherTypes()
    {
        var dictionary = new PlistDictionary { ["text"] = "x", ["number"] = 1 };

        Assert.Null(dictionary.GetString("missing"));
        Assert.Null(dictionary.GetString("number"));
        Assert.Null(dictionary.GetInteger("text"));
        Assert.Null(dictionary.GetDictionary("text"));
        Assert.Null(dictionary.GetArray("text"));
        Assert.Null(dictionary.GetBoolean("text"));
        Assert.Null(dictionary.GetDate("text"));
        Assert.Null(dictionary.GetData("text"));
        Assert.Null(dictionary.GetReal("number"));
        Assert.Null(dictionary.GetStrings("text"));
    }

    [Fact]
    public void IntegersAboveLongAreNotSqueezedIntoLong()
    {
        var dictionary = new PlistDictionary { ["big"] = ulong.MaxValue };

        Assert.Null(dictionary.GetInteger("big"));
        Assert.Equal(ulong.MaxValue, ((PlistInteger)dictionary["big"]).ToUInt64());
    }

    [Fact]
    public void NullKeysAndValuesAreRefused()
    {
        var dictionary = new PlistDictionary();

        Assert.Throws<ArgumentNullException>(() => dictionary.Add("k", null!));
        Assert.Throws<ArgumentNullException>(() => dictionary[null!] = "v");
        Assert.Throws<ArgumentNullException>(() => new PlistArray { null! });
        Assert.Throws<ArgumentNullException>(() => new PlistString(null!));
    }

    [Fact]
    public void FormatIsDetectedFromTheBytes()
    {
        Assert.Equal(PlistFormat.Binary, Plist.DetectFormat(Plist.ToBinary("x")));
        Assert.Equal(PlistFormat.Xml, Plist.DetectFormat(Plist.ToXml("x")));
        Assert.Equal(PlistFormat.Xml, Plist.DetectFormat("\uFEFF  <plist/>"u8));
        Assert.False(Plist.TryDetectFormat("{}"u8, out _));
        var error = Assert.Throws<PropertyListFormatException>(() => Plist.Parse("{ a = b; }"u8.ToArray()));
        Assert.Equal(0, error.ByteOffset);
    }

    [Fact]
    public void StreamsAreReadUpToTheLimitAndNoFurther()
    {
        var bytes = Plist.ToBinary(new PlistDictionary { ["a"] = new string('x', 1000) });

        Assert.Equal("x", Plist.Parse(new MemoryStream(bytes), maxLength: bytes.Length).AsDictionary()!.GetString("a")![..1]);
        var error = Assert.Throws<PropertyListFormatException>(() => Plist.Parse(new MemoryStream(bytes), maxLength: bytes.Length - 1));
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamsAreReadAsynchronously()
    {
        var bytes = Plist.ToXml(new PlistArray { "a", 1 });

        var value = await Plist.ParseAsync(new MemoryStream(bytes));

        Assert.True(PlistValue.DeepEquals(new PlistArray { "a", 1 }, value));
    }

    [Fact]
    public void ParseDictionaryRefusesOtherRoots()
    {
        Assert.Throws<PropertyListFormatException>(() => Plist.ParseDictionary(Plist.ToBinary(new PlistArray())));
    }

    [Fact]
    public void DeepEqualsComparesContentNotOrderOfKeys()
    {
        var left = new PlistDictionary { ["a"] = 1, ["b"] = new PlistArray { "x" } };
        var right = new PlistDictionary { ["b"] = new PlistArray { "x" }, ["a"] = 1 };

        Assert.True(PlistValue.DeepEquals(left, right));
        Assert.False(PlistValue.DeepEquals(left, new PlistDictionary { ["a"] = 1L, ["b"] = new PlistArray { "y" } }));
        Assert.False(PlistValue.DeepEquals(new PlistInteger(1), new PlistReal(1)));
    }

    [Fact]
    public void ToStringShowsTheValueAsXml()
    {
        Assert.Equal("<string>Tom &amp; Jerry</string>", new PlistString("Tom & Jerry").ToString());
    }

    [Fact]
    public void ManifestTitlesWithMarkupAreEscaped()
    {
        var manifest = new PlistDictionary { ["title"] = "Tom & Jerry <beta>" };

        var xml = System.Text.Encoding.UTF8.GetString(Plist.ToXml(manifest));

        Assert.Contains("<string>Tom &amp; Jerry &lt;beta&gt;</string>", xml, StringComparison.Ordinal);
        Assert.Equal("Tom & Jerry <beta>", Plist.ParseDictionary(Plist.ToXml(manifest)).GetString("title"));
    }
}
