using BenchmarkDotNet.Running;
using ChatOpsBot.Benchmarks.Inputs;

if (args is ["generate", var directory])
{
    BenchmarkInputs.WriteAll(directory);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
