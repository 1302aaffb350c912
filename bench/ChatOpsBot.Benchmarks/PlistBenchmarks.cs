using BenchmarkDotNet.Attributes;
using ChatOpsBot.Benchmarks.Inputs;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Benchmarks;

/// <summary>Parses each input and writes it back in its own format (binary stays binary, XML stays XML).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class PlistBenchmarks
{
    private ReadOnlyMemory<byte> _bytes;
    private PlistValue _value = PlistBoolean.False;
    private PlistFormat _format;

    [ParamsSource(nameof(Inputs))]
    public string Input { get; set; } = "";

    public static IEnumerable<string> Inputs => BenchmarkInputs.Names;

    [GlobalSetup]
    public void Setup()
    {
        _bytes = BenchmarkInputs.Load(Input);
        _value = Plist.Parse(_bytes, out _format);
    }

    [Benchmark]
    public PlistValue Parse() => Plist.Parse(_bytes);

    [Benchmark]
    public byte[] Write() => Plist.Serialize(_value, _format);
}
