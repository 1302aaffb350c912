#!/usr/bin/env bash
# Benchmarks ChatOpsBot.PropertyList against CPython's plistlib on the same generated inputs and prints the
# comparison (speed ratio on parse, allocated bytes per operation against the input's size).
# Usage: bench/run.sh [extra BenchmarkDotNet arguments]   (about 5 minutes on 2 cores)
# The machine's load average is printed before and after: figures taken under load are not comparable.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${BENCH_OUT:-$(mktemp -d -t plist-bench.XXXXXX)}
inputs=$out/inputs
artifacts=$out/artifacts
project=bench/ChatOpsBot.Benchmarks
dll=$project/bin/Release/net10.0/ChatOpsBot.Benchmarks.dll

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version), $(python3 --version)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== build (Release)"
dotnet build "$project" -c Release -nologo -v quiet -warnaserror

echo "== generate inputs in $inputs"
dotnet "$dll" generate "$inputs"

echo "== BenchmarkDotNet"
CHATOPSBOT_BENCH_INPUTS=$inputs dotnet "$dll" --filter '*PlistBenchmarks*' --artifacts "$artifacts" --exporters json "$@"

echo "== plistlib"
python3 bench/plistlib_bench.py "$inputs" --json "$out/plistlib.json"

echo "== comparison"
python3 bench/compare.py "$artifacts"/results/*PlistBenchmarks-report-full*.json "$out/plistlib.json" "$inputs"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(results kept in $out)"
