using System.Buffers.Binary;
using ChatOpsBot.Core.Builds.Android;

namespace ChatOpsBot.Core.Tests.Builds.Android;

// Seeded mutation fuzzing of valid APKs and of their manifests and tables on their own: every mutant is either read
// or refused with ApkFormatException carrying an offset inside what was read. Nothing else may escape, and the
// public Inspect never throws. Fixed seeds and counts keep it deterministic and bounded.
public sealed class ApkMutationTests
{
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x02, 0x03, 0x08, 0x10, 0x12, 0x1C, 0x1F, 0x20, 0x7F, 0xFE];
    private static readonly uint[] InterestingWords = [0, 1, 2, 4, 7, 8, 0x10, 0x14, 0x1C, 0x54, 0xFF, 0xFFFF, 0x7FFF, 0x8000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x7f010000, 0x7f020000];

    [Fact]
    public async Task MutatedApksAreReadOrRefusedWithTheFormatExceptionOnly()
    {
        var seeds = await ApkSeedsAsync();
        var random = new Random(14_014);
        var failures = new List<string>();

        for (var i = 0; i < 1_500; i++)
        {
            var (name, bytes) = seeds[random.Next(seeds.Count)];
            var (mutant, description) = Mutate(random, bytes);
            CheckApk(mutant, $"apk #{i} ({name}: {description})", failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mutants escaped:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public async Task ApksWithMutatedManifestOrTableAreReadOrRefusedWithTheFormatExceptionOnly()
    {
        var seeds = await ApkSeedsAsync();
        var random = new Random(2_626);
        var failures = new List<string>();

        for (var i = 0; i < 1_500; i++)
        {
            var (name, bytes) = seeds[random.Next(seeds.Count)];
            var items = TestResFormats.Items(bytes);
            var targets = items.Select((item, index) => (item, index)).Where(x => x.item.Name is "AndroidManifest.xml" or "resources.arsc" || x.item.Name.EndsWith(".xml", StringComparison.Ordinal)).ToList();
            var (target, at) = targets[random.Next(targets.Count)];
            var (mutant, description) = Mutate(random, target.Data);
            items[at] = target with { Data = mutant };
            CheckApk(TestResFormats.Zip(items), $"entry #{i} ({name}, {target.Name}: {description})", failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mutants escaped:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public async Task MutatedManifestsAndTablesParseOrRaiseOnlyTheFormatException()
    {
        var (manifests, tables) = await PartSeedsAsync();
        var random = new Random(31_337);
        var failures = new List<string>();

        for (var i = 0; i < 10_000; i++)
        {
            var manifest = i % 2 == 0;
            var pool = manifest ? manifests : tables;
            var (name, bytes) = pool[random.Next(pool.Count)];
            var (mutant, description) = Mutate(random, bytes);
            var what = $"{(manifest ? "xml" : "arsc")} #{i} ({name}: {description})";
            try
            {
                if (manifest)
                {
                    var xml = BinaryXml.Parse(mutant, "AndroidManifest.xml");
                    Walk(xml, xml.Root);
                }
                else
                {
                    var table = ResourceTable.Parse(mutant, "resources.arsc");
                    for (uint type = 1; type <= 8; type++)
                    {
                        for (uint entry = 0; entry < 6; entry++)
                        {
                            var id = 0x7f000000 | type << 16 | entry;
                            table.ResolveString(id);
                            table.ResolveScalar(id);
                            table.ResolveFiles(id);
                            foreach (var e in table.Lookup(id))
                                table.ResolveString(e);
                        }
                    }
                }
            }
            catch (ApkFormatException e)
            {
                if (e.Offset < 0 || e.Offset > mutant.Length)
                    failures.Add($"{what}: offset {e.Offset} outside the {mutant.Length} bytes");
            }
#pragma warning disable CA1031 // The point of the test is to catch whatever escapes.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Add($"{what}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mutants escaped:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public async Task EverySeedIsAccepted()
    {
        foreach (var (name, bytes) in await ApkSeedsAsync())
            Assert.True(ApkInspectorTests.Inspect(bytes).IsAccepted, name);
    }

    private static void Walk(BinaryXml xml, AxmlElement element)
    {
        foreach (var attribute in element.Attributes)
            _ = xml.StringOf(attribute);
        foreach (var child in element.Children)
            Walk(xml, child);
    }

    private static void CheckApk(byte[] mutant, string what, List<string> failures)
    {
        try
        {
            using var stream = new MemoryStream(mutant, writable: false);
            var inspection = ApkInspector.Read(stream, ApkLimits.Default, CancellationToken.None);
            if (string.IsNullOrEmpty(inspection.Package) || string.IsNullOrEmpty(inspection.Label))
                failures.Add($"{what}: accepted without a package or label");
        }
        catch (ApkFormatException e)
        {
            if (e.Offset < 0 || (e.Entry is null && e.Offset > mutant.Length))
                failures.Add($"{what}: offset {e.Offset} outside the upload");
        }
#pragma warning disable CA1031 // The point of the test is to catch whatever escapes.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failures.Add($"{what}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static (byte[] Mutant, string Description) Mutate(Random random, byte[] seed)
    {
        var bytes = seed.ToList();
        var steps = new List<string>();
        var count = 1 + random.Next(3);
        for (var step = 0; step < count && bytes.Count > 4; step++)
        {
            switch (random.Next(7))
            {
                case 0:
                    var bit = random.Next(bytes.Count);
                    bytes[bit] ^= (byte)(1 << random.Next(8));
                    steps.Add($"flip at {bit}");
                    break;
                case 1:
                    var at = random.Next(bytes.Count);
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    steps.Add($"set {at}={bytes[at]:X2}");
                    break;
                case 2 or 3:
                    // A 32-bit field (counts, sizes, offsets, indices) set to a boundary value, on a 4-byte boundary.
                    var word = random.Next(bytes.Count / 4) * 4;
                    var value = InterestingWords[random.Next(InterestingWords.Length)];
                    var encoded = new byte[4];
                    BinaryPrimitives.WriteUInt32LittleEndian(encoded, random.Next(2) == 0 ? value : (uint)(BinaryPrimitives.ReadUInt32LittleEndian([.. bytes.GetRange(word, 4)]) + random.Next(-3, 4)));
                    for (var k = 0; k < 4; k++)
                        bytes[word + k] = encoded[k];
                    steps.Add($"word {word}");
                    break;
                case 4:
                    var length = random.Next(bytes.Count);
                    bytes.RemoveRange(length, bytes.Count - length);
                    steps.Add($"truncate {length}");
                    break;
                case 5:
                    var start = random.Next(bytes.Count);
                    var span = Math.Min(1 + random.Next(64), bytes.Count - start);
                    var to = random.Next(bytes.Count + 1);
                    bytes.InsertRange(to, bytes.GetRange(start, span));
                    steps.Add($"copy {start}+{span} to {to}");
                    break;
                default:
                    var from = random.Next(bytes.Count);
                    var cut = Math.Min(1 + random.Next(16), bytes.Count - from);
                    bytes.RemoveRange(from, cut);
                    steps.Add($"delete {from}+{cut}");
                    break;
            }
        }
        return ([.. bytes], string.Join(", ", steps));
    }

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static List<(string Name, byte[] Bytes)>? _apkSeeds;

    // aapt-built (as aapt wrote it, and rewritten stored so mutations reach the structures) and hand-made seeds.
    private static async Task<List<(string Name, byte[] Bytes)>> ApkSeedsAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_apkSeeds is not null)
                return _apkSeeds;
            var adaptive = await TestApks.BuildAsync(new TestApkSpec
            {
                Signing = TestApkSigning.V1Only,
                Labels = new Dictionary<string, string> { [""] = "Seed", ["fr"] = "Graine" },
                Debuggable = true,
                Abis = ["arm64-v8a"],
                Features = [("android.software.leanback", true)],
                Resources =
                [
                    .. TestApks.PlainIcons(),
                    ("mipmap-anydpi-v26/ic_launcher.xml", System.Text.Encoding.UTF8.GetBytes(TestApks.AdaptiveIconXml("@mipmap/ic_launcher_foreground", "@color/icon_background"))),
                    ("mipmap-xhdpi/ic_launcher_foreground.png", TestApks.Png(8, 1, 2, 3)),
                ],
            });
            var full = await TestApks.BuildAsync(new TestApkSpec { Signing = TestApkSigning.V1V2AndV3, Resources = [("mipmap-mdpi/ic_launcher.png", TestApks.Png(4, 9, 9, 9))] });
            var table = new ArscWriter();
            table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("Hand")), [1] = (0x01, ArscWriter.Id(2, 0)) }) { Flags = 1 });
            table.Types.Add(new ArscType(2, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("Main")) }) { Language = "fr", Flags = 2 });
            table.Types.Add(new ArscType(3, new Dictionary<int, (byte, uint)> { [0] = (0x03, table.String("res/icon.png")) }) { Density = 480, Compact = true });
            var hand = HandMadeApks.Apk(
                HandMadeApks.Manifest(AxmlAttr.Ref("label", HandMadeApks.Label, ArscWriter.Id(2, 1)), AxmlAttr.Ref("icon", HandMadeApks.Icon, ArscWriter.Id(3, 0))),
                table.Write(),
                [new ZipItem("res/icon.png", TestApks.Png(2, 1, 1, 1))]);
            _apkSeeds =
            [
                ("aapt v1 adaptive, stored", TestResFormats.Zip(TestResFormats.Items(adaptive))),
                ("aapt v1 adaptive, as built", adaptive),
                ("aapt v1+v2+v3, as built", full),
                ("hand-made sparse/offset16/compact", hand),
            ];
            return _apkSeeds;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<(List<(string, byte[])> Manifests, List<(string, byte[])> Tables)> PartSeedsAsync()
    {
        var manifests = new List<(string, byte[])>();
        var tables = new List<(string, byte[])>();
        foreach (var (name, apk) in await ApkSeedsAsync())
        {
            foreach (var item in TestResFormats.Items(apk))
            {
                if (item.Name == "resources.arsc")
                    tables.Add(($"{name} table", item.Data));
                else if (item.Name.EndsWith(".xml", StringComparison.Ordinal))
                    manifests.Add(($"{name} {item.Name}", item.Data));
            }
        }
        manifests.Add(("utf-8, 24-byte attributes", new AxmlWriter { Utf8 = true, AttributeSize = 24, NodeHeaderSize = 20 }.Write(AxmlWriter.Manifest(children: AxmlWriter.Application(AxmlAttr.String("label", HandMadeApks.Label, "ünïcödé"))))));
        return (manifests, tables);
    }
}
