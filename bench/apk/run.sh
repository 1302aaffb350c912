#!/usr/bin/env bash
# APK reader benchmark: ChatOpsBot's reader (ApkInspector) against `aapt dump badging` on the same file, in one run.
# Builds the input as the tests build APKs (Debian's aapt, zipalign and apksigner; bench/apk/ApkBench generate):
# a signed APK with a payload under res/raw (random bytes, so it stays that large) and that many string resources in
# resources.arsc. Then one process reads it with ours RUNS times (after one warm-up read) and runs aapt RUNS times,
# and prints each side's median wall time, ours' bytes allocated per read and working-set growth, aapt's maximum RSS
# (GNU time), and the time ratio. Goal (issue 14): faster than aapt, memory flat in the APK's size.
# Usage: bench/apk/run.sh   (the full 100 MiB / 20,000 resources input: a few minutes on 2 cores, about 400 MB under
#        $TMPDIR while it is built; needs aapt, zipalign, apksigner, keytool and GNU time, as ./test.sh installs them)
# Environment: APK_MIB (payload, default 100), APK_RESOURCES (string resources, default 20000), APK_RUNS (default 5),
#   BENCH_OUT (where the input is kept; default a fresh temporary directory). A quick check that it works:
#   APK_MIB=1 APK_RESOURCES=100 APK_RUNS=1 bench/apk/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

mib=${APK_MIB:-100}
resources=${APK_RESOURCES:-20000}
runs=${APK_RUNS:-5}
out=${BENCH_OUT:-$(mktemp -d -t apk-bench.XXXXXX)}
project=bench/apk/ApkBench
dll=$project/bin/Release/net10.0/ApkBench.dll

for tool in aapt zipalign apksigner keytool /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool: install aapt, zipalign, apksigner, default-jre-headless and time (./test.sh does)" >&2; exit 1; }
done
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version), $(aapt version 2>&1 | head -1)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== build (Release)"
dotnet build "$project" -c Release -nologo -v quiet -warnaserror

echo "== generate ${mib} MiB, ${resources} resources in $out"
dotnet "$dll" generate "$out" "$mib" "$resources"

dotnet "$dll" run "$out/app.apk" "$runs"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
