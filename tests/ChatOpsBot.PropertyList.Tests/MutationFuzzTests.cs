using System.Buffers.Binary;
using System.Text;

namespace ChatOpsBot.PropertyList.Tests;

/// <summary>
/// Seeded mutation fuzzing of valid documents: every mutant either parses (and then survives a binary round trip)
/// or raises <see cref="PropertyListFormatException"/> with a position. Nothing else may escape.
/// </summary>
public sealed class MutationFuzzTests
{
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x0F, 0x7F, 0x80, 0x01, 0x08, 0x10, 0x13, 0x14, 0x1F, 0x33, 0x4F, 0x5F, 0x6F, 0xAF, 0xDF, 0xD8, 0xDC];
    private static readonly byte[] InterestingXml = [.. "<>&;/!?[]#x0-+. \n\"'"u8, 0x00, 0x01, 0x7F, 0x80, 0xC3, 0xED, 0xEF, 0xFF];

    private static readonly ulong[] InterestingFields =
    [
        0, 1, 2, 7, 8, 9, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1UL << 32,
        long.MaxValue, 1UL << 63, ulong.MaxValue, ulong.MaxValue - 1,
    ];

    [Fact]
    public void MutatedBinaryDocumentsParseOrRaiseOnlyTheFormatException()
    {
        var seeds = BinarySeeds();
        var random = new Random(4_242);
        var failures = new List<string>();

        for (var i = 0; i < 20_000; i++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var (mutant, description) = MutateBinary(random, seed.Bytes);
            Check(mutant, $"binary #{i} ({seed.Name}: {description})", failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mutants escaped:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void MutatedXmlDocumentsParseOrRaiseOnlyTheFormatException()
    {
        var seeds = XmlSeeds();
        var random = new Random(1_717);
        var failures = new List<string>();

        for (var i = 0; i < 5_000; i++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var (mutant, description) = MutateXml(random, seed.Bytes);
            Check(mutant, $"xml #{i} ({seed.Name}: {description})", failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} mutants escaped:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void EverySeedDocumentIsValid()
    {
        foreach (var (name, bytes) in BinarySeeds().Concat(XmlSeeds()))
        {
            var value = Plist.Parse(bytes);
            Assert.True(PlistValue.DeepEquals(value, Plist.Parse(Plist.ToBinary(value))), name);
        }
    }

    private static void Check(byte[] mutant, string what, List<string> failures)
    {
        try
        {
            var value = Plist.Parse(mutant);
            // Whatever the reader accepts, the binary writer can carry and the reader reads back identically.
            if (!PlistValue.DeepEquals(value, Plist.Parse(Plist.ToBinary(value))))
                failures.Add($"{what}: accepted, but it does not survive a binary round trip; input {Hex(mutant)}");
        }
        catch (PropertyListFormatException e)
        {
            if (e.ByteOffset is null && e.LineNumber is null)
                failures.Add($"{what}: rejected without a position ({e.Message}); input {Hex(mutant)}");
        }
#pragma warning disable CA1031 // The point of the test is to catch whatever escapes.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failures.Add($"{what}: {e.GetType().Name}: {e.Message}; input {Hex(mutant)}");
        }
    }

    private static (byte[] Mutant, string Description) MutateBinary(Random random, byte[] seed)
    {
        var bytes = seed.ToList();
        var steps = new List<string>();
        var count = 1 + random.Next(3);
        for (var step = 0; step < count && bytes.Count > 0; step++)
        {
            switch (random.Next(8))
            {
                case 0:
                    steps.Add(FlipBit(random, bytes));
                    break;
                case 1:
                    steps.Add(SetByte(random, bytes, Interesting));
                    break;
                case 2:
                    steps.Add(Truncate(random, bytes));
                    break;
                case 3:
                    steps.Add(DuplicateRange(random, bytes));
                    break;
                case 4:
                    steps.Add(DeleteRange(random, bytes));
                    break;
                case 5 or 6:
                    steps.Add(EditTrailer(random, bytes));
                    break;
                default:
                    steps.Add(EditOffsetTable(random, bytes));
                    break;
            }
        }
        return ([.. bytes], string.Join(", ", steps));
    }

    private static (byte[] Mutant, string Description) MutateXml(Random random, byte[] seed)
    {
        var bytes = seed.ToList();
        var steps = new List<string>();
        var count = 1 + random.Next(3);
        for (var step = 0; step < count && bytes.Count > 0; step++)
        {
            switch (random.Next(6))
            {
                case 0:
                    steps.Add(FlipBit(random, bytes));
                    break;
                case 1 or 2:
                    steps.Add(SetByte(random, bytes, InterestingXml));
                    break;
                case 3:
                    steps.Add(Truncate(random, bytes));
                    break;
                case 4:
                    steps.Add(DuplicateRange(random, bytes));
                    break;
                default:
                    steps.Add(DeleteRange(random, bytes));
                    break;
            }
        }
        return ([.. bytes], string.Join(", ", steps));
    }

    private static string FlipBit(Random random, List<byte> bytes)
    {
        var at = random.Next(bytes.Count);
        var bit = random.Next(8);
        bytes[at] ^= (byte)(1 << bit);
        return $"flip bit {bit} at {at}";
    }

    private static string SetByte(Random random, List<byte> bytes, byte[] values)
    {
        var at = random.Next(bytes.Count);
        bytes[at] = values[random.Next(values.Length)];
        return $"set {at} to {bytes[at]:X2}";
    }

    private static string Truncate(Random random, List<byte> bytes)
    {
        var length = random.Next(bytes.Count);
        bytes.RemoveRange(length, bytes.Count - length);
        return $"truncate to {length}";
    }

    private static string DuplicateRange(Random random, List<byte> bytes)
    {
        var start = random.Next(bytes.Count);
        var length = Math.Min(1 + random.Next(64), bytes.Count - start);
        var at = random.Next(bytes.Count + 1);
        bytes.InsertRange(at, bytes.GetRange(start, length));
        return $"copy {start}+{length} to {at}";
    }

    private static string DeleteRange(Random random, List<byte> bytes)
    {
        var start = random.Next(bytes.Count);
        var length = Math.Min(1 + random.Next(16), bytes.Count - start);
        bytes.RemoveRange(start, length);
        return $"delete {start}+{length}";
    }

    /// <summary>Overwrites one trailer field: an offset or reference size, the object count, the top object or the table offset.</summary>
    private static string EditTrailer(Random random, List<byte> bytes)
    {
        if (bytes.Count < 32)
            return Truncate(random, bytes);
        var trailer = bytes.Count - 32;
        switch (random.Next(5))
        {
            case 0 or 1:
                var at = trailer + 6 + random.Next(2);
                bytes[at] = (byte)random.Next(11);
                return $"trailer size byte {at - trailer} = {bytes[at]}";
            default:
                var field = 8 * (1 + random.Next(3));
                var current = BinaryPrimitives.ReadUInt64BigEndian([.. bytes.GetRange(trailer + field, 8)]);
                var value = random.Next(3) switch
                {
                    0 => InterestingFields[random.Next(InterestingFields.Length)],
                    1 => current + (ulong)random.Next(-2, 3),
                    _ => (ulong)(bytes.Count + random.Next(-40, 8)),
                };
                var encoded = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(encoded, value);
                for (var i = 0; i < 8; i++)
                    bytes[trailer + field + i] = encoded[i];
                return $"trailer field {field} = {value}";
        }
    }

    /// <summary>Points one offset-table entry somewhere else (possibly into the middle of another object).</summary>
    private static string EditOffsetTable(Random random, List<byte> bytes)
    {
        if (bytes.Count < 40)
            return FlipBit(random, bytes);
        var trailer = bytes.Count - 32;
        int offsetSize = bytes[trailer + 6];
        var count = BinaryPrimitives.ReadUInt64BigEndian([.. bytes.GetRange(trailer + 8, 8)]);
        var table = BinaryPrimitives.ReadUInt64BigEndian([.. bytes.GetRange(trailer + 24, 8)]);
        if (offsetSize is < 1 or > 8 || count == 0 || count > (ulong)trailer || table >= (ulong)trailer || table + count * (ulong)offsetSize > (ulong)trailer)
            return FlipBit(random, bytes);
        var entry = (int)table + random.Next((int)count) * offsetSize;
        var value = (ulong)random.Next(Math.Max(1, (int)table + 2));
        for (var i = offsetSize - 1; i >= 0; i--, value >>= 8)
            bytes[entry + i] = (byte)value;
        return $"offset entry at {entry} changed";
    }

    private static List<(string Name, byte[] Bytes)> BinarySeeds() =>
    [
        ("apple.binary.plist", TestData.Read("apple.binary.plist")),
        ("keyed-archive.binary.plist", TestData.Read("keyed-archive.binary.plist")),
        ("generated rich", Plist.ToBinary(RichTree())),
        ("generated 300 items", Plist.ToBinary(new PlistArray(Enumerable.Range(0, 300).Select(i => (PlistValue)$"item {i}")))),
        ("generated shared", Plist.ToBinary(SharedTree())),
    ];

    private static List<(string Name, byte[] Bytes)> XmlSeeds() =>
    [
        ("apple.xml.plist", TestData.Read("apple.xml.plist")),
        ("generated rich", Plist.ToXml(RichTree())),
        ("hand-written", Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>" +
            "<key>cdata</key><string><![CDATA[<&>]]></string><key>refs</key><string>&amp;&#x20ac;&#13;&lt;</string>" +
            "<key>split</key><string>a<!-- c -->b</string><key>hex</key><integer>0x1F</integer>" +
            "<key>inf</key><real>-infinity</real><key>uid</key><dict><key>CF$UID</key><integer>3</integer></dict>" +
            "<key>date</key><date>1850-03-04T05:06:07Z</date><key>data</key><data>AAAA BBBB</data>" +
            "<key>empty</key><array/><key>t</key><true></true></dict></plist>\n")),
    ];

    private static PlistDictionary RichTree() => new()
    {
        ["ascii"] = "hello & <world>",
        ["unicode \U0001F40D"] = "Mässig, Maß \U0001F600",
        ["integers"] = new PlistArray([0L, 255L, 256L, 65_536L, -1L, long.MinValue, long.MaxValue, ulong.MaxValue]),
        ["reals"] = new PlistArray([0.5, -0.0, double.PositiveInfinity, 1e300]),
        ["dates"] = new PlistArray([new DateTime(1850, 3, 4, 5, 6, 7, DateTimeKind.Utc), new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc)]),
        ["data"] = new PlistArray([Array.Empty<byte>(), Encoding.ASCII.GetBytes("<binary gunk>"), new byte[20]]),
        ["uid"] = new PlistUid(70_000),
        ["fifteen"] = new PlistArray(Enumerable.Range(0, 15).Select(i => (PlistValue)(long)i)),
        ["nested"] = new PlistDictionary { ["a"] = new PlistArray([new PlistDictionary(), true, false]) },
    };

    private static PlistArray SharedTree()
    {
        var shared = new PlistArray(["x", 1L]);
        var level = new PlistArray([shared, shared, shared]);
        return new PlistArray([level, level, new PlistDictionary { ["s"] = shared }]);
    }

    private static string Hex(byte[] bytes) => bytes.Length <= 160 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes.AsSpan(0, 160)) + "...";
}
