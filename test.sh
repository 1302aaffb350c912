#!/usr/bin/env bash
# The one test command: installs what the tests need, builds with warnings as errors, runs every test project
# in the solution and ends with "N passed, N failed" counted from the TRX result files.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests drive as independent implementations or real peers.
declare -A needs=([plistutil]=libplist-utils [chromium]=chromium [zbarimg]=zbar-tools)
missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is required by the interoperability tests" >&2; exit 1; }

dotnet build ChatOpsBot.sln -c Release -warnaserror -nologo -v quiet

results=TestResults
rm -rf "$results"
set +e
dotnet test ChatOpsBot.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results"
test_exit=$?
set -e

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
PY
summary_exit=$?
[ "$test_exit" -eq 0 ] || exit "$test_exit"
exit "$summary_exit"
