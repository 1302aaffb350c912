#!/usr/bin/env bash
# Slack /install benchmark: signed slash commands against a Release host, 64 concurrent connections, on SQLite and on
# PostgreSQL in one invocation (BENCH_PROVIDER=both, the default), so both figures and their ratio come from one run.
#   1. Publish the host in Release; for PostgreSQL start a throwaway cluster (bench/pg.sh: initdb, durability defaults).
#   2. Per provider, one after the other: start the host on loopback with a fresh data directory (and a fresh
#      database), Slack enabled (signing secret, a bot token that is never used: inline-answered slash commands make no
#      outbound call) and jobs off; upload a small valid IPA as app "bench", channel "beta" through the API.
#   3. sign_pool.py writes SLACK_POOL_SIZE distinct requests (own user_id each), each signed over v0:{ts}:{body} with
#      HMAC-SHA256 and a timestamp of now; wrk's LuaJIT has no HMAC, so slack.lua cycles through the pool (Slack's
#      300-second replay window allows reuse; each wrk run gets a freshly signed pool).
#   4. wrk -t2 -c64 --latency, SLACK_WARMUP_SECS warm-up then SLACK_SECS measured. slack.lua checks every answer is 200
#      with Block Kit JSON holding the "Install on iPhone" button; every command mints a real link row, counted after.
#   5. Stop that host, then the next provider; at the end both results and the ratio PostgreSQL / SQLite.
# Usage: bench/slack/run.sh   (about 3 minutes on 2 cores; needs python3, curl, wrk; PostgreSQL's server package is
#        installed with apt-get when missing)
# Environment: BENCH_PROVIDER (sqlite | postgres | both, default both), SLACK_SECS (default 20), SLACK_WARMUP_SECS
#   (default 15), SLACK_CONNECTIONS (default 64), SLACK_POOL_SIZE (default 20000), BENCH_PG_PORT (the cluster's port;
#   default a free one), SLACK_PERF=<file> (perf record of the host during the measured run, <file>.<provider>, JIT
#   symbols in /tmp/perf-<pid>.map), SLACK_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/pg.sh

providers=$(bench_providers)
secs=${SLACK_SECS:-20}
warmup_secs=${SLACK_WARMUP_SECS:-15}
connections=${SLACK_CONNECTIONS:-64}
pool_size=${SLACK_POOL_SIZE:-20000}
key=bench-uploader-key-0123456789
secret=bench-signing-secret-8f742231b10e8888
here=$PWD/bench/slack
out=$(mktemp -d -t slack-bench.XXXXXX)
host_pid=
stop_host() {
    if [[ -n $host_pid ]] && kill -0 "$host_pid" 2>/dev/null; then
        kill "$host_pid" 2>/dev/null || true
        wait "$host_pid" 2>/dev/null || true
    fi
    host_pid=
}
cleanup() {
    stop_host
    pg_stop
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
python3 "$here/../make_ipa.py" "$out/bench.ipa" 0 .slack

if [[ $providers == *postgres* ]]; then
    pg_start
    echo "== $(pg_settings), port $PG_PORT"
fi

run_provider() { # <provider>: prints its result and writes $out/<provider>/wrk.txt
    local provider=$1 dir=$out/$1
    mkdir -p "$dir/data"
    [[ $provider == postgres ]] && pg_createdb slack_bench
    db_env "$provider" slack_bench
    local port url
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    url=http://127.0.0.1:$port
    (
        cd "$dir"
        export Urls=$url ChatOpsBot__PublicBaseUrl=$url ChatOpsBot__DataDirectory=$dir/data \
            ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
            ChatOpsBot__Jobs__Enabled=false Slack__SigningSecret=$secret Slack__BotToken=xoxb-bench \
            Logging__LogLevel__Default=Warning
        [[ -n ${SLACK_PERF:-} ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
        exec env "${DB_ENV[@]}" "$out/host/ChatOpsBot" >"$dir/host.log" 2>&1
    ) &
    host_pid=$!
    for _ in $(seq 1 300); do
        curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        kill -0 "$host_pid" || { cat "$dir/host.log"; exit 1; }
        sleep 0.1
    done
    echo "== $provider: host pid $host_pid on $url"

    local status
    status=$(curl -sS -o "$dir/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
        -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$url/api/v1/builds")
    [[ $status == 201 ]] || { echo "upload answered $status: $(cat "$dir/build.json")"; exit 1; }

    # One request by hand first, so a wrong setup fails with the host's own answer rather than a wall of non-2xx.
    python3 "$here/sign_pool.py" "$secret" 1 "$dir/one.tsv"
    local ts sig body
    IFS=$'\t' read -r ts sig body <"$dir/one.tsv"
    status=$(curl -sS -o "$dir/one.json" -w '%{http_code}' -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
        -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$body" "$url/slack/commands")
    [[ $status == 200 ]] && grep -q 'Install on iPhone' "$dir/one.json" \
        || { echo "/install answered $status: $(cat "$dir/one.json")"; exit 1; }

    run_wrk() { # <seconds> <output>
        python3 "$here/sign_pool.py" "$secret" "$pool_size" "$dir/pool.tsv"
        SLACK_POOL=$dir/pool.tsv wrk -t2 -c"$connections" -d"$1"s --latency -s "$here/slack.lua" "$url/slack/commands" >"$2"
    }
    # Long enough for tiered compilation to finish: with 5 s its background thread still took a tenth of the host's CPU.
    echo "   warm-up (wrk -t2 -c$connections -d${warmup_secs}s)"
    run_wrk "$warmup_secs" "$dir/wrk-warmup.txt"
    sleep 1
    echo "   measured: wrk -t2 -c$connections -d${secs}s --latency, $pool_size signed bodies (load before $(load))"
    local perf_pid=
    if [[ -n ${SLACK_PERF:-} ]]; then
        (sleep 2 && perf record -F 499 -g -p "$host_pid" -o "$SLACK_PERF.$provider" -- sleep $((secs - 4)) 2>/dev/null) &
        perf_pid=$!
    fi
    [[ $provider == postgres ]] && pg_statements_reset slack_bench
    run_wrk "$secs" "$dir/wrk.txt"
    [[ $provider == postgres ]] && pg_statements_top slack_bench
    [[ -n $perf_pid ]] && wait "$perf_pid"
    local load_after links
    load_after=$(load)
    stop_host
    sed 's/^/   /' "$dir/wrk.txt"

    if [[ $provider == postgres ]]; then
        links=$(pg_psql slack_bench -At -c 'select count(*) from "InstallLinks"')
    else
        links=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from InstallLinks").fetchone()[0])' "$dir/data/chatopsbot.db")
    fi
    local f=$dir/wrk.txt expected bad
    expected=$(($(wrk_field "$dir/wrk-warmup.txt" install_ok) + $(wrk_field "$f" install_ok) + 1))
    echo "   load after $load_after; link rows: $links (install replies wrk saw, warm-up and the check included: $expected; commands still in flight when wrk stops mint links it never sees)"
    bad=$(($(wrk_field "$f" not200) + $(wrk_field "$f" no_button) + $(wrk_field "$f" errors) + $(wrk_field "$dir/wrk-warmup.txt" not200) + $(wrk_field "$dir/wrk-warmup.txt" no_button)))
    ((bad == 0)) || { grep FIRST_BAD "$f" "$dir/wrk-warmup.txt" || true; echo "some commands failed on $provider"; exit 1; }
    ((links >= expected && links <= expected + 2 * connections)) || { echo "link rows do not match install replies on $provider"; exit 1; }
}

for provider in $providers; do
    run_provider "$provider"
done

echo "== result ($(nproc) cores, load $(load))"
for provider in $providers; do
    f=$out/$provider/wrk.txt
    # Goals: issue 5 set p99 < 50 ms on SQLite; issue 11 sets p99 < 100 ms on PostgreSQL. Both: at least 1,000/s.
    [[ $provider == postgres ]] && p99_goal=100 || p99_goal=50
    printf '   %-8s %s commands/s, p50 %s ms, p90 %s ms, p99 %s ms, max %s ms; %s install replies, %s not 200, %s without the button, %s socket errors\n' \
        "$provider:" "$(wrk_field "$f" rps)" "$(calc "$(wrk_field "$f" p50_us) / 1000")" "$(calc "$(wrk_field "$f" p90_us) / 1000")" \
        "$(calc "$(wrk_field "$f" p99_us) / 1000")" "$(calc "$(wrk_field "$f" max_us) / 1000")" "$(wrk_field "$f" install_ok)" \
        "$(wrk_field "$f" not200)" "$(wrk_field "$f" no_button)" "$(wrk_field "$f" errors)"
    echo "            goals: p99 < $p99_goal ms: $(calc "'met' if $(wrk_field "$f" p99_us) < $p99_goal * 1000 else 'NOT met'"), >= 1000/s: $(calc "'met' if $(wrk_field "$f" rps) >= 1000 else 'NOT met'")"
done
if [[ $providers == "sqlite postgres" ]]; then
    s=$out/sqlite/wrk.txt p=$out/postgres/wrk.txt
    echo "   postgres / sqlite: commands/s $(calc "f'{$(wrk_field "$p" rps) / $(wrk_field "$s" rps):.2f}'"), p99 $(calc "f'{$(wrk_field "$p" p99_us) / $(wrk_field "$s" p99_us):.2f}'")"
fi
