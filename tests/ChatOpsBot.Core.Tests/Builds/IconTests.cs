using ChatOpsBot.Core.Builds;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Core.Tests.Builds;

public sealed class IconTests
{
    private static async Task<AppIcon?> IconOfAsync(TestIpaBuilder builder)
    {
        using var ipa = builder.BuildStream();
        var result = await IpaInspector.InspectAsync(ipa);
        Assert.True(result.IsAccepted, result.ToString());
        return result.Inspection.Icon;
    }

    [Fact]
    public async Task LargestCrushedIconIsChosenByPixelSizeAndDecodesToTheOriginalPixels()
    {
        var largest = RgbaImage.Sample(180, 180);
        var builder = new TestIpaBuilder().WithNestedBundlesFirst()
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)))
            .WithAppFile("AppIcon60x60@3x.png", TestPng.EncodeCrushed(largest))
            .WithAppFile("AppIcon76x76@2x~ipad.png", TestPng.EncodeCrushed(RgbaImage.Sample(152, 152)))
            // The name promises 1024 px; the header says 40. Pixels win.
            .WithAppFile("AppIcon76x76@3x~ipad.png", TestPng.EncodeCrushed(RgbaImage.Sample(40, 40)));

        var icon = await IconOfAsync(builder);

        Assert.NotNull(icon);
        Assert.Equal((180, 180), (icon.Width, icon.Height));
        var decoded = PythonPng.Decode(icon.Png.Span);
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.Chunks);
        Assert.StartsWith("78", decoded.ZlibHeader, StringComparison.Ordinal);
        PythonPng.AssertSamePixels(largest, decoded);
    }

    [Fact]
    public async Task NameThatSuggestsAHugeIconLosesToTheRealPixelSize()
    {
        var real = RgbaImage.Sample(120, 120);
        var builder = new TestIpaBuilder()
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(real))
            .WithAppFile("AppIcon60x60@3x.png", TestPng.EncodeCrushed(RgbaImage.Sample(20, 20)));

        var icon = await IconOfAsync(builder);

        Assert.Equal((120, 120), (icon?.Width, icon?.Height));
    }

    [Fact]
    public async Task StandardPngPassesThroughByteForByte()
    {
        var png = TestPng.EncodeStandard(RgbaImage.Sample(60, 60));
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", png);

        var icon = await IconOfAsync(builder);

        Assert.Equal(png, icon?.Png.ToArray());
    }

    [Fact]
    public async Task InterlacedCrushedIconIsUncrushedPassByPass()
    {
        var image = RgbaImage.Sample(37, 29);
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(image, interlaced: true));

        var icon = await IconOfAsync(builder);

        Assert.NotNull(icon);
        var decoded = PythonPng.Decode(icon.Png.Span);
        Assert.True(decoded.Interlaced);
        PythonPng.AssertSamePixels(image, decoded);
    }

    [Fact]
    public async Task IconNamedButAbsentIsSkippedForOneThatExists()
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon76x76@2x~ipad.png", TestPng.EncodeCrushed(RgbaImage.Sample(152, 152)));
        builder.Info["CFBundleIcons~ipad"] = new PlistDictionary
        {
            ["CFBundlePrimaryIcon"] = new PlistDictionary { ["CFBundleIconFiles"] = new PlistArray(["AppIcon1024x1024", "AppIcon76x76"]) },
        };

        var icon = await IconOfAsync(builder);

        Assert.Equal(152, icon?.Width);
    }

    [Fact]
    public async Task LegacyTopLevelIconKeysAreHonoured()
    {
        var builder = new TestIpaBuilder()
            .WithAppFile("Icon-72.png", TestPng.EncodeCrushed(RgbaImage.Sample(72, 72)))
            .WithAppFile("Icon.png", TestPng.EncodeCrushed(RgbaImage.Sample(57, 57)))
            .WithAppFile("Icon@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(114, 114)));
        builder.Info.Remove("CFBundleIcons");
        builder.Info.Remove("CFBundleIcons~ipad");
        builder.Info["CFBundleIconFiles"] = new PlistArray(["Icon.png", "Icon-72.png"]);
        builder.Info["CFBundleIconFile"] = "Icon";

        var icon = await IconOfAsync(builder);

        Assert.Equal(114, icon?.Width);
    }

    [Fact]
    public async Task WithoutNamedIconsAnyRootAppIconPngIsUsed()
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon83.5x83.5@2x~ipad.png", TestPng.EncodeCrushed(RgbaImage.Sample(167, 167)));
        builder.Info.Remove("CFBundleIcons");
        builder.Info.Remove("CFBundleIcons~ipad");

        var icon = await IconOfAsync(builder);

        Assert.Equal(167, icon?.Width);
    }

    [Fact]
    public async Task StringPrimaryIconAsOnTvOsMeansNoNamedIconsRatherThanAFailure()
    {
        var builder = new TestIpaBuilder();
        builder.Info["CFBundleIcons"] = new PlistDictionary { ["CFBundlePrimaryIcon"] = "App Icon" };

        Assert.Null(await IconOfAsync(builder));
    }

    [Fact]
    public async Task BrokenLargestIconFallsBackToTheNextOne()
    {
        var broken = TestPng.EncodeCrushed(RgbaImage.Sample(180, 180));
        broken[^20] ^= 0xFF; // inside the last IDAT: its CRC no longer matches
        var builder = new TestIpaBuilder()
            .WithAppFile("AppIcon60x60@3x.png", broken)
            .WithAppFile("AppIcon60x60@2x.png", TestPng.EncodeCrushed(RgbaImage.Sample(120, 120)));

        var icon = await IconOfAsync(builder);

        Assert.Equal(120, icon?.Width);
    }

    [Theory]
    [InlineData("not a png at all")]
    [InlineData("\u0089PNG\r\n\u001a\n truncated")]
    public async Task UnreadableIconMeansNoIconNotARejection(string content)
    {
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@2x.png", System.Text.Encoding.Latin1.GetBytes(content));

        Assert.Null(await IconOfAsync(builder));
    }

    [Fact]
    public async Task IconOverTheSizeLimitIsSkipped()
    {
        var noisy = RgbaImage.Sample(1024, 1024);
        new Random(7).NextBytes(noisy.Pixels);
        var builder = new TestIpaBuilder().WithAppFile("AppIcon60x60@3x.png", TestPng.EncodeStandard(noisy));
        using var ipa = builder.BuildStream();

        var result = await IpaInspector.InspectAsync(ipa, new IpaLimits { MaxIconBytes = 1024 * 1024 });

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Null(result.Inspection.Icon);
    }

    [Fact]
    public async Task IpaNamingFiftyThousandIconsAmongAHundredThousandRootPngsIsInspectedAndKeepsTheRealIcon()
    {
        using var ipa = new MemoryStream(IconFloodIpa.Build(), writable: false);

        var result = await IpaInspector.InspectAsync(ipa);

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(IconFloodIpa.RealIconWidth, result.Inspection.Icon?.Width);
        Assert.Equal(IconFloodIpa.RealIcon, result.Inspection.Icon?.Png.ToArray());
    }

    [Fact]
    public void IconNamesAreCappedInPlistOrderBeforeAnyFileIsLookedUp()
    {
        // The lookup costs nine dictionary probes per kept name, so this cap is what bounds it (see IconLocator).
        var names = IconLocator.BaseNames(IconFloodIpa.Info());

        Assert.Equal(IconLocator.MaxIconNames, names.Count);
        Assert.Equal(["AppIcon60x60", "j0", "j1"], names.Take(3));
    }
}
