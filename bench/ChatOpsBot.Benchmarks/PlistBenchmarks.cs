using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using ChatOpsBot.Benchmarks.Inputs;
using ChatOpsBot.PropertyList;

namespace ChatOpsBot.Benchmarks;

/// <summary>Parses each input and writes it back in its own format (binary stays binary, XML stays XML).</summary>
[MemoryDiagnoser]
[Config(typeof(GcModes))]
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

    /// <summary>
    /// The product host is an ASP.NET Core app and so runs Server GC (System.GC.Server in its runtimeconfig.json);
    /// that is the figure that counts. Workstation GC, BenchmarkDotNet's default, is reported alongside it.
    /// </summary>
    private sealed class GcModes : ManualConfig
    {
        public GcModes()
        {
            var job = Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10);
            AddJob(job.WithGcServer(true).WithId("ServerGC"));
            AddJob(job.WithGcServer(false).WithId("WorkstationGC"));
        }
    }
}
