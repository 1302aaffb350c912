#!/usr/bin/env bash
# Expiry sweep benchmark: 1,000,000 expired links, on SQLite and on PostgreSQL in one invocation (BENCH_PROVIDER=both,
# the default). Measures the sweep's wall time and the p99 latency of concurrent manifest requests during the sweep
# against the idle p99 of the same load on the same host process. Per provider, one after the other:
#   1. Start the host (jobs off) with a fresh data directory (and a fresh database on a throwaway PostgreSQL cluster,
#      bench/pg.sh), upload a small IPA, mint a few links through the API (their manifests are what the load fetches),
#      stop it.
#   2. Insert EXPIRY_LINKS (default 1,000,000) links straight into the database: seed_links.py into chatopsbot.db,
#      seed_links_pg.sql through psql (generate_series, then VACUUM ANALYZE and CHECKPOINT). With EXPIRY_KIND=dead (the
#      default) they expired more than the download grace (2 h) ago, so the job deletes every token hash: the one write
#      it makes per link. With EXPIRY_KIND=expired they expired within the last hour: expiry is derived from ExpiresAt,
#      so the job finds nothing to write, and the figure is one run's duration with a million newly expired links.
#   3. Start the host again with jobs on, just after a minute boundary: Hangfire's minutely trigger runs the real
#      expire-links job at the next boundary, about a minute later. No product surface is added to start it.
#   4. Idle: 15 one-second wrk slices (-t2 -c16, slices.py) on one minted manifest URL, and one plain
#      `wrk -t2 -c16 -d15s --latency` for reference.
#   5. Sweep: the same slices run until the sweep is over; watch_sweep.py follows it from a second connection (dead
#      links). The job's start is its "Expiry run started" log line (Debug); the sweep is over when the last seeded row
#      has lost its hash (dead) or at the job's closing log line (expired). The sweep's p99 is taken over the slices
#      that lie wholly inside it.
# At the end: each provider's figures, and PostgreSQL's against SQLite's.
# Every manifest GET records an event row, as in production; the per-address rate limit is off.
# Usage: bench/expiry/run.sh    (about 3 minutes per provider on 2 cores; needs python3, sqlite3, wrk; PostgreSQL's
#        server package is installed with apt-get when missing)
# Environment: BENCH_PROVIDER (sqlite | postgres | both, default both), EXPIRY_LINKS (default 1000000), BENCH_PG_PORT
#   (the cluster's port; default a free one), EXPIRY_KEEP=1 keeps the work directory (the cluster is removed anyway).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/pg.sh

providers=$(bench_providers)
links=${EXPIRY_LINKS:-1000000}
kind=${EXPIRY_KIND:-dead}
case $kind in
    dead) seed_minutes=175 ;;    # 54 minutes of expiries ending 2 h 1 min ago: past the download grace
    expired) seed_minutes=55 ;;  # ending 1 minute ago: within it
    *) echo "EXPIRY_KIND must be dead or expired, not '$kind'" >&2; exit 1 ;;
esac
key=bench-uploader-key-0123456789
here=$PWD/bench/expiry
out=$(mktemp -d -t expiry-bench.XXXXXX)
host_pid=
slices_pid=
stop_host() {
    if [[ -n $host_pid ]] && kill -0 "$host_pid" 2>/dev/null; then
        kill "$host_pid" 2>/dev/null || true
        wait "$host_pid" 2>/dev/null || true
    fi
    host_pid=
}
cleanup() {
    [[ -n $slices_pid ]] && kill "$slices_pid" 2>/dev/null
    stop_host
    pg_stop
    [[ ${EXPIRY_KEEP:-0} == 1 ]] && echo "kept $out" || rm -rf "$out"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
py() { python3 -c "$@"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version), SQLite $(sqlite3 --version | cut -d' ' -f1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== load: $(load)"
echo "== publish host (Release)"
dotnet publish src/ChatOpsBot -c Release -o "$out/host" -nologo -v quiet -warnaserror >"$out/publish.log" 2>&1 \
    || { cat "$out/publish.log"; exit 1; }
python3 "$here/../make_ipa.py" "$out/bench.ipa" 0 .expiry

if [[ $providers == *postgres* ]]; then
    pg_start
    echo "== $(pg_settings), port $PG_PORT"
fi

declare -A R # <provider>.<measure> -> value

run_provider() { # <provider>
    local provider=$1 dir=$out/$1
    local db=$dir/data/chatopsbot.db
    mkdir -p "$dir/data"
    [[ $provider == postgres ]] && pg_createdb expiry_bench
    db_env "$provider" expiry_bench
    # Reads of the database from outside the host, per provider.
    sql() { # <query>: one value
        if [[ $provider == postgres ]]; then pg_psql expiry_bench -At -c "$1"; else sqlite3 "$db" "$1"; fi
    }
    local port url
    port=$(free_port)
    url=http://127.0.0.1:$port
    start_host() { # <jobs enabled: true|false> <log file>
        (
            cd "$dir"
            exec env Urls="$url" ChatOpsBot__PublicBaseUrl="$url" ChatOpsBot__DataDirectory="$dir/data" "${DB_ENV[@]}" \
                ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
                ChatOpsBot__Install__RequestsPerWindow=0 ChatOpsBot__Jobs__Enabled="$1" \
                Logging__LogLevel__Default=Warning 'Logging__LogLevel__ChatOpsBot.Jobs=Information' 'Logging__LogLevel__ChatOpsBot.Jobs.ExpireLinksJob=Debug' \
                Logging__Console__FormatterName=simple Logging__Console__FormatterOptions__UseUtcTimestamp=true \
                Logging__Console__FormatterOptions__TimestampFormat='yyyy-MM-ddTHH:mm:ss.fff ' \
                "$out/host/ChatOpsBot" >"$2" 2>&1
        ) &
        host_pid=$!
        for _ in $(seq 1 300); do
            curl -fsS "$url/healthz" >/dev/null 2>&1 && return 0
            kill -0 "$host_pid" 2>/dev/null || { cat "$2"; exit 1; }
            sleep 0.1
        done
        echo "host did not become healthy"; cat "$2"; exit 1
    }

    echo "== $provider"
    start_host false "$dir/host-setup.log"
    local status minted=4 i manifest_url
    status=$(curl -sS -o "$dir/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
        -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$url/api/v1/builds")
    [[ $status == 201 ]] || { echo "upload answered $status: $(cat "$dir/build.json")"; exit 1; }
    for i in $(seq 1 $minted); do
        status=$(curl -sS -o "$dir/link$i.json" -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
            -d '{"channel":"beta"}' "$url/api/v1/apps/bench/links")
        [[ $status == 201 ]] || { echo "minting a link answered $status: $(cat "$dir/link$i.json")"; exit 1; }
    done
    manifest_url=$(py 'import json, sys; print(json.load(open(sys.argv[1]))["manifestUrl"])' "$dir/link1.json")
    curl -fsS -o /dev/null "$manifest_url"
    stop_host

    local seed_start first_id last_id watch_db
    echo "   InstallLinks schema:"
    if [[ $provider == postgres ]]; then
        pg_psql expiry_bench -c '\d "InstallLinks"' | sed 's/^/     /'
    else
        sqlite3 "$db" '.schema InstallLinks' | sed 's/^/     /'
    fi
    echo "   insert $links $kind links (expired $seed_minutes to $((seed_minutes - 54)) minutes ago)"
    seed_start=$(date +%s.%N)
    if [[ $provider == postgres ]]; then
        read -r first_id last_id < <(pg_psql expiry_bench -v count="$links" -v minutes="$seed_minutes" -f "$here/seed_links_pg.sql")
        watch_db=postgresql://postgres@$PG_HOST:$PG_PORT/expiry_bench
    else
        read -r first_id last_id < <(python3 "$here/seed_links.py" "$db" "$links" "$seed_minutes")
        watch_db=$db
    fi
    echo "   ids $first_id..$last_id in $(py "import time; print(round(time.time() - $seed_start, 1))") s$([[ $provider == sqlite ]] && echo "; journal mode on disk: $(sqlite3 "$db" 'pragma journal_mode')")"
    sync

    # Start just after a minute boundary, so the idle phase is over long before the first minutely trigger.
    sleep "$(py 'import time; print(60 - time.time() % 60 + 0.5)')"
    start_host true "$dir/host.log"
    echo "   host pid $host_pid on $url (jobs on), started $(date -u +%T)$([[ $provider == sqlite ]] && echo "; journal mode now: $(sqlite3 "$db" 'pragma journal_mode')")"
    wrk -t2 -c16 -d3s "$manifest_url" >/dev/null # warm-up

    echo "   idle (load $(load))"
    python3 "$here/slices.py" run "$manifest_url" "$dir/idle.jsonl" "$dir/never" 15
    wrk -t2 -c16 -d15s --latency -s "$here/hist.lua" "$manifest_url" >"$dir/wrk-idle.txt"
    local idle_ref_p99 idle_ref_rps idle_end
    idle_ref_p99=$(sed -n 's/^SLICE .*p99_us=\([0-9]*\).*/\1/p' "$dir/wrk-idle.txt")
    idle_ref_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk-idle.txt")
    idle_end=$(date +%s.%N)
    [[ -z $(grep -m1 'ExpireLinksJob\[4103\]' "$dir/host.log" || true) ]] || { echo "the sweep started during the idle phase; rerun"; exit 1; }

    echo "   sweep: load until the sweep is over (load $(load))"
    rm -f "$dir/stop"
    python3 "$here/slices.py" run "$manifest_url" "$dir/sweep.jsonl" "$dir/stop" 400 &
    slices_pid=$!
    if [[ $kind == dead ]]; then
        PSQL=$PG_BIN/psql python3 "$here/watch_sweep.py" "$watch_db" "$first_id" "$last_id" 240 "$dir/watch.json"
    else
        for _ in $(seq 1 2400); do grep -q 'ExpireLinksJob\[410[24]\]' "$dir/host.log" && break; sleep 0.1; done
    fi
    sleep 2
    touch "$dir/stop"
    wait "$slices_pid"
    slices_pid=
    local load_after
    load_after=$(load)
    for _ in $(seq 1 100); do grep -q 'ExpireLinksJob\[410[24]\]' "$dir/host.log" && break; sleep 0.1; done

    local job_now first_seen done_at last_pending log_at pending expected
    log_time() { # <event id>: the first such line's timestamp, in epoch seconds
        local line
        line=$(grep -m1 "ExpireLinksJob\\[$1\\]" "$dir/host.log") || { echo "no log line $1 from the job" >&2; tail "$dir/host.log" >&2; exit 1; }
        py 'import datetime, sys; print(datetime.datetime.fromisoformat(sys.argv[1].split()[0]).replace(tzinfo=datetime.timezone.utc).timestamp())' "$line"
    }
    job_now=$(log_time 4103)
    if [[ $kind == dead ]]; then
        log_at=$(log_time 4102)
        read -r first_seen done_at last_pending < <(py '
import json, sys; w = json.load(open(sys.argv[1])); print(w["first_seen"], w["done"], w["last_pending"])' "$dir/watch.json")
        [[ $done_at != None ]] || { echo "the sweep did not finish within the watch"; tail "$dir/host.log"; exit 1; }
        expected=$minted
    else
        log_at=$(log_time 4104)
        first_seen=$log_at done_at=$log_at last_pending=$job_now
        expected=$((links + minted))
    fi
    (( $(py "print(int($job_now > $idle_end))") )) || { echo "the sweep started before the idle phase ended; rerun"; exit 1; }
    if [[ $provider == postgres ]]; then
        pending=$(sql 'select count(*) from "InstallLinks" where "TokenHash" is not null')
    else
        pending=$(sql 'select count(*) from InstallLinks where TokenHash is not null')
    fi
    [[ $pending == "$expected" ]] || { echo "after the sweep $pending links have a token hash (expected $expected)"; exit 1; }
    status=$(curl -sS -o /dev/null -w '%{http_code}' "$manifest_url")
    [[ $status == 200 ]] || { echo "the minted link's manifest answered $status after the sweep"; exit 1; }
    stop_host

    local i50 i99 irps ireq ierr inon islices s50 s99 srps sreq serr snon sslices j50 j99 jrps jreq jerr jnon jslices o50 o99 orps oreq oerr onon oslices
    read -r i50 i99 irps ireq ierr inon islices < <(python3 "$here/slices.py" p99 "$dir/idle.jsonl")
    read -r s50 s99 srps sreq serr snon sslices < <(python3 "$here/slices.py" p99 "$dir/sweep.jsonl" "$job_now" "$done_at")
    read -r j50 j99 jrps jreq jerr jnon jslices < <(python3 "$here/slices.py" p99 "$dir/sweep.jsonl" "$job_now" "$log_at")
    read -r o50 o99 orps oreq oerr onon oslices < <(python3 "$here/slices.py" p99 "$dir/sweep.jsonl")
    R[$provider.sweep_s]=$(py "print(f'{$done_at - $job_now:.1f}')")
    R[$provider.idle_p99]=$i99
    R[$provider.sweep_p99]=$s99
    R[$provider.sweep_rps]=$srps
    R[$provider.idle_rps]=$irps
    R[$provider.ratio]=$(py "print(f'{$s99 / $i99:.2f}' if $i99 and $sslices else 'n/a (no 1-second slice lay wholly inside the job)')")
    echo "   host log (jobs):"
    grep -E 'ChatOpsBot.Jobs|fail|warn' "$dir/host.log" | sed 's/^/     /' | head -20
    echo "   result ($links links, $(nproc) cores, load $load_after after the sweep)"
    echo "     sweep ($kind links): job start $(date -u -d @"$job_now" +%T.%3N), last seeded row seen done $(py "print(f'{$done_at - $job_now:.2f}')") s later (polled every 20 ms; last poll before $(py "print(f'{$last_pending - $job_now:.2f}')") s); job's log line at $(py "print(f'{$log_at - $job_now:.2f}')") s"
    echo "     sweep time ${R[$provider.sweep_s]} s, $(py "print(round($links / ($done_at - $job_now)))") links/s (goal < 30 s)"
    echo "     idle:   p50 $i50 ms, p99 $i99 ms, $irps req/s ($islices slices, $ireq requests, errors $ierr, non-2xx $inon); one 15 s run: p99 $(py "print($idle_ref_p99 / 1000)") ms, $idle_ref_rps req/s"
    echo "     sweep:  p50 $s50 ms, p99 $s99 ms, $srps req/s ($sslices slices wholly inside the sweep, $sreq requests, errors $serr, non-2xx $snon)"
    echo "     whole job (to its closing log line): p50 $j50 ms, p99 $j99 ms, $jrps req/s ($jslices slices)"
    echo "     all sweep-phase slices: p50 $o50 ms, p99 $o99 ms, $orps req/s ($oslices slices)"
    echo "     p99 ratio sweep / idle: ${R[$provider.ratio]} (goal < 3)"
}

for provider in $providers; do
    run_provider "$provider"
done

echo "== result ($links $kind links, $(nproc) cores, load $(load))"
for provider in $providers; do
    printf '   %-9s sweep %s s (goal < 30 s: %s); manifest p99 idle %s ms, during the sweep %s ms: %s× (goal < 3: %s); req/s idle %s, during the sweep %s\n' \
        "$provider:" "${R[$provider.sweep_s]}" "$(py "print('met' if ${R[$provider.sweep_s]} < 30 else 'NOT met')")" \
        "${R[$provider.idle_p99]}" "${R[$provider.sweep_p99]}" "${R[$provider.ratio]}" \
        "$(py "print('met' if not '${R[$provider.ratio]}'.startswith('n/a') and ${R[$provider.sweep_p99]} < 3 * ${R[$provider.idle_p99]} else 'NOT met')")" \
        "${R[$provider.idle_rps]}" "${R[$provider.sweep_rps]}"
done
if [[ $providers == "sqlite postgres" ]]; then
    echo "   postgres / sqlite: sweep time $(py "print(f'{${R[postgres.sweep_s]} / ${R[sqlite.sweep_s]}:.2f}')"), idle p99 $(py "print(f'{${R[postgres.idle_p99]} / ${R[sqlite.idle_p99]}:.2f}')"), sweep p99 $(py "print(f'{${R[postgres.sweep_p99]} / ${R[sqlite.sweep_p99]}:.2f}')")"
fi
