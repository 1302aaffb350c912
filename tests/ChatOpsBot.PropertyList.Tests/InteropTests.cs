using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ChatOpsBot.PropertyList.Tests;

/// <summary>
/// Our reader and writers against two independent implementations, CPython's plistlib and libplist's plistutil,
/// both run by the tests. Python describes every document as canonical JSON (see Interop/plist_interop.py), which
/// we compare with our own description of the same tree.
/// </summary>
public sealed class InteropTests
{
    private const int TreeCount = 220;
    private const int Seed = 20_241_123;
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Interop", "plist_interop.py");

    [Fact]
    public async Task PythonReadsEveryTreeWeWriteWithTheSameContent()
    {
        using var dir = new TempDirectory();
        var trees = RandomTrees.Generate(Seed, TreeCount);
        var expected = new Dictionary<string, JsonNode>();
        for (var i = 0; i < trees.Count; i++)
        {
            await File.WriteAllBytesAsync(dir.File($"ours-{i}.xml"), Plist.ToXml(trees[i]));
            await File.WriteAllBytesAsync(dir.File($"ours-{i}.bin"), Plist.ToBinary(trees[i]));
            expected[$"ours-{i}.xml"] = expected[$"ours-{i}.bin"] = Canonical.Describe(trees[i]);
        }

        await ExternalTool.RunAsync("python3", Script, "describe", dir.Path);

        var described = JsonNode.Parse(await File.ReadAllTextAsync(dir.File("descriptions.json")))!.AsObject();
        Assert.Equal(expected.Count, described.Count);
        var mismatches = expected
            .Where(e => !JsonNode.DeepEquals(e.Value, described[e.Key]))
            .Select(e => $"{e.Key}: python read versus we wrote {Canonical.Difference(described[e.Key], e.Value)}")
            .ToList();
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(5)));
    }

    [Fact]
    public async Task PlistutilConvertsEveryTreeWeWriteWithoutChangingItsContent()
    {
        using var dir = new TempDirectory();
        var trees = RandomTrees.Generate(Seed, TreeCount);
        for (var i = 0; i < trees.Count; i++)
        {
            await File.WriteAllBytesAsync(dir.File($"ours-{i}.xml"), Plist.ToXml(trees[i]));
            await File.WriteAllBytesAsync(dir.File($"ours-{i}.bin"), Plist.ToBinary(trees[i]));
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, trees.Count), async (i, _) =>
        {
            await ExternalTool.RunAsync("plistutil", "-i", dir.File($"ours-{i}.bin"), "-o", dir.File($"plistutil-{i}.xml"), "-f", "xml");
            await ExternalTool.RunAsync("plistutil", "-i", dir.File($"ours-{i}.xml"), "-o", dir.File($"plistutil-{i}.bin"), "-f", "bin");
        });

        var mismatches = new List<string>();
        for (var i = 0; i < trees.Count; i++)
        {
            foreach (var (file, format) in new[] { ($"plistutil-{i}.xml", PlistFormat.Xml), ($"plistutil-{i}.bin", PlistFormat.Binary) })
            {
                var converted = ParsePlistutilOutput(await File.ReadAllBytesAsync(dir.File(file)), file, out var detected);
                Assert.Equal(format, detected);
                var (expected, actual) = (Canonical.AsLibplistKeepsIt(trees[i]), Canonical.AsLibplistKeepsIt(converted));
                if (!PlistValue.DeepEquals(expected, actual))
                    mismatches.Add($"{file}: plistutil gave versus we wrote {Canonical.Difference(Canonical.Describe(actual), Canonical.Describe(expected))}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(5)));
    }

    [Fact]
    public async Task WeReadEveryDocumentPythonWritesWithTheSameContent()
    {
        using var dir = new TempDirectory();
        await ExternalTool.RunAsync("python3", Script, "generate", dir.Path, TreeCount.ToString(CultureInfo.InvariantCulture), Seed.ToString(CultureInfo.InvariantCulture));

        var expected = JsonNode.Parse(await File.ReadAllTextAsync(dir.File("expected.json")))!.AsObject();
        Assert.Equal(2 * TreeCount, expected.Count);
        var mismatches = new List<string>();
        foreach (var (name, description) in expected)
        {
            var value = Plist.Parse(await File.ReadAllBytesAsync(dir.File(name)), out var format);
            Assert.Equal(name.EndsWith(".bin", StringComparison.Ordinal) ? PlistFormat.Binary : PlistFormat.Xml, format);
            var ours = Canonical.Describe(value);
            if (!JsonNode.DeepEquals(description, ours))
                mismatches.Add($"{name}: we read versus python wrote {Canonical.Difference(ours, description)}");
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(5)));
    }

    [Fact]
    public async Task WeReadPythonDocumentsAfterPlistutilConvertsThemEitherWay()
    {
        using var dir = new TempDirectory();
        await ExternalTool.RunAsync("python3", Script, "generate", dir.Path, TreeCount.ToString(CultureInfo.InvariantCulture), Seed.ToString(CultureInfo.InvariantCulture));

        await Parallel.ForEachAsync(Enumerable.Range(0, TreeCount), async (i, _) =>
        {
            await ExternalTool.RunAsync("plistutil", "-i", dir.File($"py-{i}.xml"), "-o", dir.File($"plistutil-{i}.bin"), "-f", "bin");
            await ExternalTool.RunAsync("plistutil", "-i", dir.File($"py-{i}.bin"), "-o", dir.File($"plistutil-{i}.xml"), "-f", "xml");
        });

        var mismatches = new List<string>();
        for (var i = 0; i < TreeCount; i++)
        {
            foreach (var (source, converted) in new[] { ($"py-{i}.xml", $"plistutil-{i}.bin"), ($"py-{i}.bin", $"plistutil-{i}.xml") })
            {
                var original = Plist.Parse(await File.ReadAllBytesAsync(dir.File(source)));
                var throughPlistutil = ParsePlistutilOutput(await File.ReadAllBytesAsync(dir.File(converted)), converted, out _);
                var (expected, actual) = (Canonical.AsLibplistKeepsIt(original), Canonical.AsLibplistKeepsIt(throughPlistutil));
                if (!PlistValue.DeepEquals(expected, actual))
                    mismatches.Add($"{converted}: plistutil gave versus python wrote {Canonical.Difference(Canonical.Describe(actual), Canonical.Describe(expected))}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(5)));
    }

    /// <summary>plistutil exits with 0 even when it cannot read its input, and then writes an empty plist.</summary>
    private static PlistValue ParsePlistutilOutput(byte[] bytes, string file, out PlistFormat format)
    {
        try
        {
            return Plist.Parse(bytes, out format);
        }
        catch (PropertyListFormatException e)
        {
            throw new InvalidOperationException($"{file}, written by plistutil, is not readable (plistutil probably could not read its input): {e.Message}", e);
        }
    }

    [Fact]
    public void RandomTreesCoverEveryKindAndTheSizeBoundaries()
    {
        var trees = RandomTrees.Generate(Seed, TreeCount);
        var kinds = new HashSet<PlistValueKind>();
        var arrayLengths = new HashSet<int>();
        var strings = new List<string>();
        void Visit(PlistValue value)
        {
            kinds.Add(value.Kind);
            switch (value)
            {
                case PlistArray array:
                    arrayLengths.Add(array.Count);
                    foreach (var item in array)
                        Visit(item);
                    break;
                case PlistDictionary dictionary:
                    foreach (var (key, item) in dictionary)
                    {
                        strings.Add(key);
                        Visit(item);
                    }
                    break;
                case PlistString s:
                    strings.Add(s.Value);
                    break;
            }
        }
        trees.ForEach(Visit);

        Assert.Equal(Enum.GetValues<PlistValueKind>().ToHashSet(), kinds);
        Assert.Contains(14, arrayLengths);
        Assert.Contains(15, arrayLengths);
        Assert.Contains(arrayLengths, n => n is > 255 and < 65_536);
        Assert.Contains(arrayLengths, n => n > 65_535);
        Assert.Contains(strings, s => s.Any(char.IsSurrogate));
        Assert.Contains(strings, s => !Ascii.IsValid(s));
    }

    /// <summary>The canonical description shared with plist_interop.py, and the normalisations libplist needs.</summary>
    private static class Canonical
    {
        private static readonly DateTime Epoch = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        public static JsonArray Describe(PlistValue value) => value switch
        {
            PlistDictionary d => Node("dict", new JsonArray(d
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => (JsonNode?)new JsonArray(e.Key, Describe(e.Value)))
                .ToArray())),
            PlistArray a => Node("array", new JsonArray(a.Select(v => (JsonNode?)Describe(v)).ToArray())),
            PlistString s => Node("string", s.Value),
            PlistInteger i => Node("int", i.Value.ToString(CultureInfo.InvariantCulture)),
            PlistReal r => Node("real", double.IsNaN(r.Value) ? "nan" : BitConverter.DoubleToInt64Bits(r.Value).ToString("x16", CultureInfo.InvariantCulture)),
            PlistBoolean b => Node("bool", b.Value),
            PlistDate d => Node("date", ((d.Value.Ticks - Epoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture)),
            PlistData d => Node("data", Convert.ToHexStringLower(d.Value.Span)),
            PlistUid u => Node("uid", u.Value.ToString(CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Unexpected value {value.GetType().Name}"),
        };

        private static JsonArray Node(string kind, JsonNode? content) => new(kind, content);

        public static string Excerpt(JsonNode? node)
        {
            var text = node?.ToJsonString() ?? "(nothing)";
            return text.Length <= 300 ? text : text[..300] + "...";
        }

        /// <summary>Where two descriptions first differ, as "at [path]: ... versus ...".</summary>
        public static string Difference(JsonNode? left, JsonNode? right, string path = "")
        {
            if (left is JsonArray l && right is JsonArray r)
            {
                for (var i = 0; i < Math.Min(l.Count, r.Count); i++)
                {
                    if (!JsonNode.DeepEquals(l[i], r[i]))
                        return Difference(l[i], r[i], $"{path}/{i}");
                }
                if (l.Count != r.Count)
                    return $"at {path}: {l.Count} versus {r.Count} items";
            }
            return $"at {path}: {Excerpt(left)} versus {Excerpt(right)}";
        }

        /// <summary>
        /// What survives libplist 2.2 unchanged: it writes -0.0 as "0.0" in XML, writes CR raw into XML text (which
        /// the XML reader turns into LF), keeps the XML form of a UID as a dictionary when writing binary, and NaN's
        /// bit pattern is not preserved (ours writes .NET's negative quiet NaN, libplist and Python the positive one).
        /// </summary>
        public static PlistValue AsLibplistKeepsIt(PlistValue value)
        {
            switch (value)
            {
                case PlistDictionary d when d.Count == 1 && d.Get("CF$UID") is PlistInteger uid && uid.Value >= 0:
                    return new PlistUid((ulong)uid.Value);
                case PlistDictionary d:
                    var copy = new PlistDictionary();
                    foreach (var (key, item) in d)
                        copy[AsXmlTextReadsIt(key)] = AsLibplistKeepsIt(item);
                    return copy;
                case PlistArray a:
                    return new PlistArray(a.Select(AsLibplistKeepsIt));
                case PlistReal r when double.IsNaN(r.Value):
                    return new PlistReal(double.NaN);
                case PlistReal r when r.Value == 0:
                    return new PlistReal(0.0);
                case PlistString s:
                    return new PlistString(AsXmlTextReadsIt(s.Value));
                default:
                    return value;
            }
        }

        private static string AsXmlTextReadsIt(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
    }

    /// <summary>Seeded random trees with every value kind, the integer boundaries and the count-encoding boundaries.</summary>
    private sealed class RandomTrees(int seed)
    {
        private static readonly string[] Pieces =
        [
            "a", "Z", "0", "9", " ", "&", "<", ">", "\"", "'", "\t", "\n", "\r", "]]>", "&amp;", "é", "ß", "€", "日", "Ж",
            "\u00A0", "\uE000", "\uFFFD", "\U0001F40D", "\U0001F600", "\U00010000",
        ];

        private static readonly Int128[] Boundaries =
        [
            0, 1, 255, 256, 65_535, 65_536, uint.MaxValue, (Int128)uint.MaxValue + 1, long.MaxValue,
            (Int128)long.MaxValue + 1, ulong.MaxValue, -1, long.MinValue,
        ];

        private static readonly DateTime[] Dates =
        [
            new(1850, 3, 4, 5, 6, 7, DateTimeKind.Utc), new(1969, 12, 31, 23, 59, 59, DateTimeKind.Utc),
            new(2000, 12, 31, 23, 59, 59, DateTimeKind.Utc), new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            new(2038, 1, 19, 3, 14, 8, DateTimeKind.Utc), new(2100, 2, 28, 12, 0, 0, DateTimeKind.Utc),
            new(9999, 12, 31, 23, 59, 59, DateTimeKind.Utc),
        ];

        private readonly Random _random = new(seed);

        public static List<PlistValue> Generate(int seed, int count)
        {
            var trees = new RandomTrees(seed);
            var result = new List<PlistValue>
            {
                new PlistDictionary
                {
                    ["integers"] = new PlistArray(Boundaries.Select(b => (PlistValue)new PlistInteger(b))),
                    ["reals"] = new PlistArray([0.0, -0.0, 0.5, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.Epsilon, double.MaxValue]),
                    ["dates"] = new PlistArray(Dates.Select(d => (PlistValue)new PlistDate(d))),
                    ["data"] = new PlistArray([Array.Empty<byte>(), new byte[] { 0 }, new byte[300]]),
                    ["empty"] = new PlistArray([new PlistArray(), new PlistDictionary(), "", new PlistUid(0)]),
                    ["Åbenraa \U0001F40D"] = new PlistUid(uint.MaxValue),
                    ["bools"] = new PlistArray([true, false]),
                },
                new PlistArray(
                [
                    new PlistArray(Enumerable.Range(0, 14).Select(i => (PlistValue)(long)i)),
                    new PlistArray(Enumerable.Range(0, 15).Select(i => (PlistValue)(long)i)),
                    new PlistArray(Enumerable.Range(0, 300).Select(i => (PlistValue)trees.String())),
                    new PlistArray(Enumerable.Range(0, 70_000).Select(i => (PlistValue)(long)i)),
                ]),
            };
            while (result.Count < count)
                result.Add(trees.Value(0));
            return result;
        }

        private PlistValue Value(int depth)
        {
            if (depth > 3 || _random.NextDouble() < 0.45)
                return Scalar();
            if (_random.NextDouble() < 0.5)
            {
                var array = new PlistArray();
                var length = Pick(0, 1, 2, 3, 5, 14, 15, 16);
                for (var i = 0; i < length; i++)
                    array.Add(Value(depth + 1));
                return array;
            }
            var dictionary = new PlistDictionary();
            var count = Pick(0, 1, 2, 3, 6, 14, 15);
            for (var i = 0; i < count; i++)
                // No CR in keys: plistutil turns it into LF, and two keys may then collide.
                dictionary[String().Value.Replace('\r', '\t')] = Value(depth + 1);
            return dictionary;
        }

        private PlistValue Scalar() => _random.Next(9) switch
        {
            0 or 1 => String(),
            2 => new PlistInteger(_random.NextDouble() < 0.5
                ? Boundaries[_random.Next(Boundaries.Length)]
                : (Int128)_random.NextInt64(long.MinValue, long.MaxValue) + _random.Next(2) * (Int128)long.MaxValue),
            3 => _random.NextDouble() < 0.2 ? new PlistReal(double.NaN) : new PlistReal(RandomDouble()),
            4 => PlistBoolean.From(_random.Next(2) == 0),
            // Whole seconds from year 1000 (libplist writes earlier years without zero padding, which no reader takes).
            5 => _random.NextDouble() < 0.3
                ? new PlistDate(Dates[_random.Next(Dates.Length)])
                : new PlistDate(new DateTime(_random.NextInt64(new DateTime(1000, 1, 1).Ticks, DateTime.MaxValue.Ticks) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc)),
            6 => new PlistData(RandomBytes(Pick(0, 1, 2, 3, 14, 15, 57, 58, 100))),
            // libplist 2.2 reads UIDs of at most 4 bytes (CF's cap); wider ones make plistutil write an empty <plist>.
            7 => new PlistUid((ulong)_random.NextInt64(uint.MaxValue + 1L) >> _random.Next(32)),
            _ => _random.Next(2) == 0 ? new PlistArray() : new PlistDictionary(),
        };

        private PlistString String()
        {
            var text = new StringBuilder();
            var length = Pick(0, 1, 2, 3, 8, 14, 15, 16, 40);
            for (var i = 0; i < length; i++)
                text.Append(Pieces[_random.Next(Pieces.Length)]);
            return new PlistString(text.ToString());
        }

        private double RandomDouble()
        {
            var bytes = RandomBytes(8);
            var value = BitConverter.ToDouble(bytes);
            return double.IsNaN(value) ? 0.25 : value;
        }

        private byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            _random.NextBytes(bytes);
            return bytes;
        }

        private int Pick(params int[] choices) => choices[_random.Next(choices.Length)];
    }

    private static class ExternalTool
    {
        private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

        /// <summary>Runs a tool with an argument list (no shell) and fails the test if it is missing or fails.</summary>
        public static async Task RunAsync(string fileName, params string[] arguments)
        {
            var start = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException($"'{fileName}' did not start.");
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException(
                    $"The interoperability tests need '{fileName}' on PATH (python3 with plistlib; plistutil from the " +
                    $"libplist-utils package, which test.sh installs): {e.Message}", e);
            }

            using (process)
            using (var timeout = new CancellationTokenSource(Limit))
            {
                var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' did not finish within {Limit}.");
                }
                await Task.WhenAll(stdout, stderr);
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}: {await stderr}{await stdout}");
            }
        }
    }

    private sealed class TempDirectory : IDisposable
    {
        private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("chatopsbot-plist-interop-");

        public string Path => _directory.FullName;

        public string File(string name) => System.IO.Path.Combine(_directory.FullName, name);

        public void Dispose() => _directory.Delete(recursive: true);
    }
}
