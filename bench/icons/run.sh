#!/usr/bin/env bash
# Inspects the icon-flood IPA (icon names in Info.plist, tiny root PNGs, one real icon) with BenchmarkDotNet:
# 5,000/10,000 and 50,000/100,000 names/PNGs (the cost must grow tenfold, not a hundredfold), and 0/100,000 (the floor).
# Usage: bench/icons/run.sh [extra BenchmarkDotNet arguments]   (about 2 minutes on 2 cores)
# The machine's load average is printed before and after: figures taken under load are not comparable.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${BENCH_OUT:-$(mktemp -d -t icon-bench.XXXXXX)}
project=bench/ChatOpsBot.Benchmarks
dll=$project/bin/Release/net10.0/ChatOpsBot.Benchmarks.dll

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build "$project" -c Release -nologo -v quiet -warnaserror
dotnet "$dll" --filter '*IpaInspectionBenchmarks*' --artifacts "$out" "$@"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(results kept in $out)"
