using BenchmarkDotNet.Running;
using ChatOpsBot.Benchmarks;
using ChatOpsBot.Benchmarks.Inputs;

if (args is ["generate", var directory])
{
    BenchmarkInputs.WriteAll(directory);
    return;
}

// One cold inspection, timed: for shapes too slow to run under BenchmarkDotNet (the quadratic lookup this replaced).
if (args is ["inspect-once", var shape])
{
    await IpaInspectionBenchmarks.InspectOnceAsync(shape);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
