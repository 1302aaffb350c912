#!/usr/bin/env bash
# Slack /install benchmark: signed slash commands against a Release host on SQLite, 64 concurrent connections.
#   1. Publish the host in Release, start it on loopback with a fresh data directory, Slack enabled (signing secret,
#      a bot token that is never used: inline-answered slash commands make no outbound call) and jobs off.
#   2. Upload a small valid IPA as app "bench", channel "beta" through the API.
#   3. sign_pool.py writes SLACK_POOL_SIZE distinct requests (own user_id each), each signed over v0:{ts}:{body} with
#      HMAC-SHA256 and a timestamp of now; wrk's LuaJIT has no HMAC, so slack.lua cycles through the pool (Slack's
#      300-second replay window allows reuse; each wrk run gets a freshly signed pool).
#   4. wrk -t2 -c64 --latency, SLACK_WARMUP_SECS warm-up then SLACK_SECS measured. slack.lua checks every answer is 200 with Block
#      Kit JSON holding the "Install on iPhone" button; every command mints a real link row, counted in SQLite after.
# Usage: bench/slack/run.sh   (about 80 seconds on 2 cores; needs python3, curl, wrk)
# Environment: SLACK_SECS (default 20), SLACK_WARMUP_SECS (default 15), SLACK_CONNECTIONS (default 64), SLACK_POOL_SIZE (default 20000),
#   SLACK_PERF=<file> (perf record of the host during the measured run, JIT symbols in /tmp/perf-<pid>.map),
#   SLACK_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${SLACK_SECS:-20}
warmup_secs=${SLACK_WARMUP_SECS:-15}
connections=${SLACK_CONNECTIONS:-64}
pool_size=${SLACK_POOL_SIZE:-20000}
key=bench-uploader-key-0123456789
secret=bench-signing-secret-8f742231b10e8888
here=$PWD/bench/slack
out=$(mktemp -d -t slack-bench.XXXXXX)
host_pid=
cleanup() {
    if [[ -n $host_pid ]] && kill -0 "$host_pid" 2>/dev/null; then
        kill "$host_pid" 2>/dev/null || true
        wait "$host_pid" 2>/dev/null || true
    fi
    [[ ${SLACK_KEEP:-0} == 1 ]] && echo "kept $out" || rm -rf "$out"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
calc() { python3 -c "print($1)"; }
wrk_field() { sed -n "s/.*WRK_SUMMARY.* $2=\([0-9.]*\).*/\1/p" "$1"; } # <wrk output> <field>

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ { print $2 }') GB, .NET $(dotnet --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== load: $(load)"

echo "== publish host (Release)"
dotnet publish src/ChatOpsBot -c Release -o "$out/host" -nologo -v quiet -warnaserror >"$out/publish.log" 2>&1 \
    || { cat "$out/publish.log"; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
mkdir -p "$out/data"
(
    cd "$out"
    export Urls=$url ChatOpsBot__PublicBaseUrl=$url ChatOpsBot__DataDirectory=$out/data \
        ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
        ChatOpsBot__Jobs__Enabled=false Slack__SigningSecret=$secret Slack__BotToken=xoxb-bench \
        Logging__LogLevel__Default=Warning
    [[ -n ${SLACK_PERF:-} ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
    exec "$out/host/ChatOpsBot" >"$out/host.log" 2>&1
) &
host_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    kill -0 "$host_pid" || { cat "$out/host.log"; exit 1; }
    sleep 0.1
done
echo "== host pid $host_pid on $url"

python3 "$here/../make_ipa.py" "$out/bench.ipa" 0 .slack
status=$(curl -sS -o "$out/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
    -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$url/api/v1/builds")
[[ $status == 201 ]] || { echo "upload answered $status: $(cat "$out/build.json")"; exit 1; }

# One request by hand first, so a wrong setup fails with the host's own answer rather than a wall of non-2xx.
python3 "$here/sign_pool.py" "$secret" 1 "$out/one.tsv"
IFS=$'\t' read -r ts sig body <"$out/one.tsv"
status=$(curl -sS -o "$out/one.json" -w '%{http_code}' -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$body" "$url/slack/commands")
[[ $status == 200 ]] && grep -q 'Install on iPhone' "$out/one.json" \
    || { echo "/install answered $status: $(cat "$out/one.json")"; exit 1; }

run_wrk() { # <seconds> <output>
    python3 "$here/sign_pool.py" "$secret" "$pool_size" "$out/pool.tsv"
    SLACK_POOL=$out/pool.tsv wrk -t2 -c"$connections" -d"$1"s --latency -s "$here/slack.lua" "$url/slack/commands" >"$2"
}
# Long enough for tiered compilation to finish: with 5 s its background thread still took a tenth of the host's CPU.
echo "== warm-up (wrk -t2 -c$connections -d${warmup_secs}s)"
run_wrk "$warmup_secs" "$out/wrk-warmup.txt"
sleep 1
echo "== measured: wrk -t2 -c$connections -d${secs}s --latency, $pool_size signed bodies (load before $(load))"
if [[ -n ${SLACK_PERF:-} ]]; then
    (sleep 2 && perf record -F 499 -g -p "$host_pid" -o "$SLACK_PERF" -- sleep $((secs - 4)) 2>/dev/null) &
    perf_pid=$!
fi
run_wrk "$secs" "$out/wrk.txt"
[[ -n ${SLACK_PERF:-} ]] && wait "$perf_pid"
load_after=$(load)
cat "$out/wrk.txt"

links=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from InstallLinks").fetchone()[0])' "$out/data/chatopsbot.db")
expected=$(($(wrk_field "$out/wrk-warmup.txt" install_ok) + $(wrk_field "$out/wrk.txt" install_ok) + 1))
f=$out/wrk.txt
echo "== result ($(nproc) cores, load after $load_after)"
echo "   $(wrk_field "$f" rps) commands/s, p50 $(calc "$(wrk_field "$f" p50_us) / 1000") ms, p90 $(calc "$(wrk_field "$f" p90_us) / 1000") ms, p99 $(calc "$(wrk_field "$f" p99_us) / 1000") ms, max $(calc "$(wrk_field "$f" max_us) / 1000") ms"
echo "   $(wrk_field "$f" requests) requests: $(wrk_field "$f" install_ok) install replies, $(wrk_field "$f" not200) not 200, $(wrk_field "$f" no_button) 200 without the button, $(wrk_field "$f" errors) socket errors"
echo "   link rows in SQLite: $links (install replies wrk saw, warm-up and the check included: $expected; commands still in flight when wrk stops mint links it never sees)"
echo "   goals: p99 < 50 ms: $(calc "'met' if $(wrk_field "$f" p99_us) < 50000 else 'NOT met'"), >= 1000/s: $(calc "'met' if $(wrk_field "$f" rps) >= 1000 else 'NOT met'")"
bad=$(($(wrk_field "$f" not200) + $(wrk_field "$f" no_button) + $(wrk_field "$f" errors) + $(wrk_field "$out/wrk-warmup.txt" not200) + $(wrk_field "$out/wrk-warmup.txt" no_button)))
((bad == 0)) || { grep FIRST_BAD "$f" "$out/wrk-warmup.txt" || true; echo "some commands failed"; exit 1; }
((links >= expected && links <= expected + 2 * connections)) || { echo "link rows do not match install replies"; exit 1; }
