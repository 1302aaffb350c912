using System.Buffers.Binary;
using System.Globalization;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Benchmarks.Inputs;

/// <summary>
/// The benchmark inputs, by file name. They are built from fixed data and a fixed seed, so every run (and Python's
/// plistlib, reading the files <c>generate</c> writes) sees the same bytes.
/// </summary>
internal static class BenchmarkInputs
{
    /// <summary>Where the benchmarks read the generated files; unset, they build the same bytes in memory.</summary>
    public const string DirectoryVariable = "CHATOPSBOT_BENCH_INPUTS";

    private static readonly Dictionary<string, Func<byte[]>> Builders = new(StringComparer.Ordinal)
    {
        ["info.binary.plist"] = () => Plist.ToBinary(InfoPlistInput.Build()),
        ["catalogue.binary.plist"] = () => Plist.ToBinary(LargePlistInput.Build()),
        ["manifest.xml.plist"] = () => Plist.ToXml(ManifestInput.Build()),
    };

    public static IEnumerable<string> Names => Builders.Keys;

    public static byte[] Load(string name)
    {
        var directory = Environment.GetEnvironmentVariable(DirectoryVariable);
        return string.IsNullOrEmpty(directory) ? Builders[name]() : File.ReadAllBytes(Path.Combine(directory, name));
    }

    public static void WriteAll(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, build) in Builders)
        {
            var bytes = build();
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}\t{bytes.Length} bytes\t{CountObjects(bytes)} objects"));
        }
    }

    /// <summary>A binary plist's object count from its trailer (equal scalars stored once); an XML one's element count.</summary>
    private static long CountObjects(byte[] bytes) =>
        Plist.DetectFormat(bytes) == PlistFormat.Binary
            ? (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(bytes.Length - 24))
            : CountValues(Plist.Parse(bytes));

    private static long CountValues(PlistValue value) => value switch
    {
        PlistDictionary d => 1 + d.Count + d.Values.Sum(CountValues),
        PlistArray a => 1 + a.Sum(CountValues),
        _ => 1,
    };
}
