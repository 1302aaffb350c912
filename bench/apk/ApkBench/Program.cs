using System.Diagnostics;
using System.Globalization;
using ChatOpsBot.Core.Builds.Android;
using ChatOpsBot.Core.Tests.Builds.Android;

// The APK reader against `aapt dump badging` on the same file, in one process:
//   generate <dir> [mib] [resources]   builds <dir>/app.apk (a payload of <mib> MiB under res/raw and <resources> strings)
//   run <apk> [runs]                   reads it <runs> times with ours and with aapt, then prints the comparison
// Ours: wall time per read (Stopwatch), bytes allocated per read (GC.GetTotalAllocatedBytes), and the process's peak
// working set over the reads against the working set before them. aapt: wall time and maximum RSS per run (GNU time).
return args switch
{
    ["generate", var dir, .. var rest] => await GenerateAsync(dir, Int(rest, 0, 100), Int(rest, 1, 20_000)),
    ["run", var apk, .. var rest] => await RunAsync(apk, Int(rest, 0, 5)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ApkBench generate <dir> [mib=100] [resources=20000] | run <apk> [runs=5]");
    return 2;
}

static int Int(string[] rest, int index, int fallback) =>
    rest.Length > index ? int.Parse(rest[index], CultureInfo.InvariantCulture) : fallback;

static async Task<int> GenerateAsync(string dir, int mib, int resources)
{
    Directory.CreateDirectory(dir);
    var work = Directory.CreateDirectory(Path.Combine(dir, "work"));
    var payload = new byte[mib * 1024L * 1024L];
    // Random bytes, seeded: they do not compress, so the APK is as large as the payload, the same on every run.
    new Random(14).NextBytes(payload);
    var strings = string.Concat(Enumerable.Range(0, resources).Select(i => $"<string name=\"bench_{i:D5}\">Benchmark string {i}</string>"));
    var spec = new TestApkSpec
    {
        Resources = [.. TestApks.PlainIcons(), ("values/bench.xml", System.Text.Encoding.UTF8.GetBytes($"<resources>{strings}</resources>")), ("raw/payload.bin", payload)],
    };
    var built = await TestApks.BuildFileAsync(spec, work.FullName);
    var apk = Path.Combine(dir, "app.apk");
    File.Move(built, apk, overwrite: true);
    work.Delete(recursive: true);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {apk}: {new FileInfo(apk).Length / 1048576.0:F1} MiB, {resources} string resources"));
    return 0;
}

static async Task<int> RunAsync(string apk, int runs)
{
    var size = new FileInfo(apk).Length;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== input {apk}: {size / 1048576.0:F1} MiB; {runs} runs each"));

    // One read first, so the JIT's work is not counted, and to check the input is what it should be.
    var first = ApkInspector.Inspect(apk);
    if (first.Inspection is not { } inspection)
    {
        Console.Error.WriteLine($"our reader refused the input: {first.Rejection}");
        return 1;
    }
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    using var self = Process.GetCurrentProcess();
    self.Refresh();
    var baseline = self.WorkingSet64;
    var ours = new List<(double Ms, long Allocated)>();
    for (var i = 0; i < runs; i++)
    {
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var result = ApkInspector.Inspect(apk);
        clock.Stop();
        ours.Add((clock.Elapsed.TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore));
        GC.KeepAlive(result);
    }
    self.Refresh();
    var peak = self.PeakWorkingSet64;

    var aapt = new List<(double Ms, long MaxRssKib)>();
    string? badging = null;
    for (var i = 0; i < runs; i++)
    {
        var start = new ProcessStartInfo("/usr/bin/time", ["-f", "%e %M", "aapt", "dump", "badging", apk])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        clock.Stop();
        badging = await stdout;
        var timeLine = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Split(' ');
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"aapt dump badging failed ({process.ExitCode}): {await stderr}");
            return 1;
        }
        aapt.Add((clock.Elapsed.TotalMilliseconds, long.Parse(timeLine[1], CultureInfo.InvariantCulture)));
    }
    if (badging is null || !badging.Contains($"package: name='{inspection.Package}'", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"aapt and our reader disagree on the package ({inspection.Package}).");
        return 1;
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
    var oursMs = Median(ours.Select(o => o.Ms));
    var aaptMs = Median(aapt.Select(a => a.Ms));
    var allocated = ours.Max(o => o.Allocated);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        == summary ({inspection.Package} {inspection.VersionName}, label "{inspection.Label}")
        ours   median {oursMs,9:F1} ms   allocated {allocated / 1048576.0,8:F2} MiB per read ({(double)allocated / size:P2} of the APK)   working set {baseline / 1048576.0:F0} MiB before, peak {peak / 1048576.0:F0} MiB (+{(peak - baseline) / 1048576.0:F0} MiB)
        aapt   median {aaptMs,9:F1} ms   max RSS {aapt.Max(a => a.MaxRssKib) / 1024.0:F0} MiB (a process of its own, its whole footprint)
        ratio  aapt / ours time {aaptMs / oursMs:F2}x (above 1: ours is faster)
        runs   ours {string.Join(", ", ours.Select(o => o.Ms.ToString("F1", CultureInfo.InvariantCulture)))} ms; aapt {string.Join(", ", aapt.Select(a => a.Ms.ToString("F1", CultureInfo.InvariantCulture)))} ms
        """));
    return 0;
}
