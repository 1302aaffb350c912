using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Tests.Builds;

namespace ChatOpsBot.Benchmarks;

/// <summary>
/// Inspects the icon-flood IPA (icon names in Info.plist, tiny root PNGs, one real icon) from memory: zip directory,
/// Info.plist, icon lookup and icon read. Names and PNGs ten times as many must cost about ten times as much; the
/// same 100,000 PNGs with no icon names is the floor that reading such a zip costs anyway.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[Config(typeof(ServerGc))]
public class IpaInspectionBenchmarks
{
    private byte[] _ipa = [];

    /// <summary>"icon names/root PNGs".</summary>
    [Params("5000/10000", "50000/100000", "0/100000")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _ipa = Build(Shape);

    private static byte[] Build(string shape)
    {
        var parts = shape.Split('/');
        return IconFloodIpa.Build(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public static async Task InspectOnceAsync(string shape)
    {
        var ipa = Build(shape);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var stream = new MemoryStream(ipa, writable: false);
        var result = await IpaInspector.InspectAsync(stream);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape}\t{clock.Elapsed.TotalMilliseconds:F0} ms\t{result}, icon {result.Inspection?.Icon?.Width}px"));
    }

    [Benchmark]
    public async Task<IpaInspectionResult> InspectIconFlood()
    {
        using var ipa = new MemoryStream(_ipa, writable: false);
        var result = await IpaInspector.InspectAsync(ipa);
        if (result.Inspection?.Icon?.Width != IconFloodIpa.RealIconWidth)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Wrong outcome: {result}"));
        return result;
    }

    private sealed class ServerGc : ManualConfig
    {
        public ServerGc() =>
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithGcServer(true).WithId("ServerGC"));
    }
}
