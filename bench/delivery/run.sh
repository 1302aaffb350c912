#!/usr/bin/env bash
# Delivery benchmark: what a phone fetches from /i/{token}, against Debian's nginx serving the same bytes from the same
# machine in the same run, on SQLite and on PostgreSQL in one invocation (BENCH_PROVIDER=both, the default).
#   1. IPA throughput, one connection, whole file, best of N (curl), ours vs nginx (sendfile on) on the same file.
#   2. 16 concurrent downloads (wrk -c16) of the IPA: the host's RSS growth (VmRSS every 50 ms, and VmHWM) over a
#      warmed-up baseline, and aggregate throughput ours vs nginx.
#   3. Manifest requests/s and p99 latency (wrk -c32 --latency), ours vs nginx serving a static copy of the bytes ours
#      answered with.
# The providers run one after the other, each with its own host process, data directory (and PostgreSQL database on a
# throwaway cluster, bench/pg.sh); nginx serves the current provider's stored artifact. At the end: each provider's
# figures and the ratios PostgreSQL / SQLite.
# Every IPA GET on ours records a download row and every manifest GET an event row in the database, as in production;
# the per-address rate limit on /i/ is off (ChatOpsBot__Install__RequestsPerWindow=0), or wrk would get 429s.
# Usage: bench/delivery/run.sh   (about 6 minutes on 2 cores for both providers; needs python3, curl, about 1.5 GB
#        under $TMPDIR; installs nginx and wrk, and PostgreSQL's server package, with apt-get when they are missing)
# Environment: BENCH_PROVIDER (sqlite | postgres | both, default both), DELIVERY_MIB (IPA payload, default 512),
#   DELIVERY_RUNS (single-connection downloads each, default 3), DELIVERY_CONCURRENT_SECS (default 20),
#   DELIVERY_MANIFEST_SECS (default 15), DELIVERY_MANIFEST_WARMUP_SECS (default 15: under load a host that had only
#   3 s was still tiering up its code, and on PostgreSQL more of it), DELIVERY_MANIFEST_ONLY=1 (skip 1 and 2, for iterating on the manifest path
#   with a small DELIVERY_MIB), BENCH_PG_PORT (the cluster's port; default a free one), DELIVERY_PERF=<file> (perf
#   record of the host during its manifest run, <file>.<provider>, JIT symbols in /tmp/perf-<pid>.map).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/pg.sh

providers=$(bench_providers)
mib=${DELIVERY_MIB:-512}
runs=${DELIVERY_RUNS:-3}
concurrent_secs=${DELIVERY_CONCURRENT_SECS:-20}
manifest_secs=${DELIVERY_MANIFEST_SECS:-15}
manifest_warmup_secs=${DELIVERY_MANIFEST_WARMUP_SECS:-15}
manifest_only=${DELIVERY_MANIFEST_ONLY:-0}
key=bench-uploader-key-0123456789
lua=$PWD/bench/delivery/wrk_summary.lua

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    echo "== apt-get install nginx wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q nginx wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nginx wrk >/dev/null; }
fi

out=$(mktemp -d -t delivery-bench.XXXXXX)
chmod 755 "$out" # nginx's workers may run as another user
host_pid=
nginx_pid=
stop_pid() {
    if [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop_pid "$nginx_pid"
    stop_pid "$host_pid"
    pg_stop
    rm -rf "$out"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
calc() { python3 -c "print($1)"; }
wrk_field() { sed -n "s/.*WRK_SUMMARY.* $2=\([0-9.]*\).*/\1/p" "$1"; } # <wrk output> <field>

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ { print $2 }') GB, .NET $(dotnet --version), $(nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== load: $(load)"

echo "== generate $mib MiB IPA in $out"
python3 bench/make_ipa.py "$out/bench.ipa" "$mib"
size=$(stat -c %s "$out/bench.ipa")
echo "   $size bytes"

echo "== publish host (Release)"
dotnet publish src/ChatOpsBot -c Release -o "$out/host" -nologo -v quiet -warnaserror >"$out/publish.log" 2>&1 \
    || { cat "$out/publish.log"; exit 1; }

if [[ $providers == *postgres* ]]; then
    pg_start
    echo "== $(pg_settings), port $PG_PORT"
fi

mkdir -p "$out/www" "$out/nginx"
echo ready >"$out/www/ready.txt"
nginx_port=$(free_port)
nginx_url=http://127.0.0.1:$nginx_port
cat >"$out/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 1024; }
http {
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;  # Kestrel does not cap requests per connection either
    access_log $out/nginx/access.log;  # nginx's counterpart of our per-request database row
    client_body_temp_path $out/nginx/client_body;
    proxy_temp_path $out/nginx/proxy;
    fastcgi_temp_path $out/nginx/fastcgi;
    uwsgi_temp_path $out/nginx/uwsgi;
    scgi_temp_path $out/nginx/scgi;
    types { application/octet-stream ipa; text/xml plist; text/plain txt; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $out/www;
        # The same headers ours sends on /i/.
        add_header Cache-Control no-store always;
        add_header Referrer-Policy no-referrer always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Robots-Tag "noindex, nofollow" always;
    }
}
CONF
nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "$nginx_url/ready.txt" 2>/dev/null && break
    kill -0 "$nginx_pid" || { cat "$out/nginx/error.log"; exit 1; }
    sleep 0.1
done
echo "== nginx pid $nginx_pid on $nginx_url (sendfile on, $(nproc) workers); per provider it serves that host's stored artifact file and manifest bytes"

declare -A R # <provider>.<measure> -> value

run_provider() { # <provider>
    local provider=$1 dir=$out/$1
    mkdir -p "$dir/data"
    [[ $provider == postgres ]] && pg_createdb delivery_bench
    db_env "$provider" delivery_bench
    local port url
    port=$(free_port)
    url=http://127.0.0.1:$port
    (
        cd "$dir"
        export Urls=$url ChatOpsBot__PublicBaseUrl=$url ChatOpsBot__DataDirectory=$dir/data \
            ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
            ChatOpsBot__Uploads__MaxBytes=$((2 * 1024 * 1024 * 1024)) ChatOpsBot__Install__RequestsPerWindow=0 \
            Logging__LogLevel__Default=Warning
        [[ -n ${DELIVERY_PERF:-} ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
        exec env "${DB_ENV[@]}" "$out/host/ChatOpsBot" >"$dir/host.log" 2>&1
    ) &
    host_pid=$!
    for _ in $(seq 1 300); do
        curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        kill -0 "$host_pid" || { cat "$dir/host.log"; exit 1; }
        sleep 0.1
    done
    if [[ $provider == sqlite ]]; then
        echo "== sqlite: host pid $host_pid on $url, journal mode $(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma journal_mode").fetchone()[0])' "$dir/data/chatopsbot.db")"
    else
        echo "== postgres: host pid $host_pid on $url, database delivery_bench on 127.0.0.1:$PG_PORT"
    fi

    local status sha artifact manifest_url ipa_url
    status=$(curl -sS -o "$dir/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
        -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$url/api/v1/builds")
    [[ $status == 201 ]] || { echo "upload answered $status: $(cat "$dir/build.json")"; exit 1; }
    sha=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sha256"])' "$dir/build.json")
    artifact=$dir/data/artifacts/${sha:0:2}/$sha
    [[ -f $artifact ]] || { echo "no stored artifact for $sha"; exit 1; }
    status=$(curl -sS -o "$dir/link.json" -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d '{"channel":"beta"}' "$url/api/v1/apps/bench/links")
    [[ $status == 201 ]] || { echo "minting a link answered $status: $(cat "$dir/link.json")"; exit 1; }
    manifest_url=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifestUrl"])' "$dir/link.json")
    ipa_url=${manifest_url%/manifest.plist}/app.ipa

    # nginx serves this host's stored artifact (a symlink: both read the same page-cache pages) and its manifest bytes.
    curl -fsS -o "$out/www/manifest.plist" "$manifest_url"
    ln -sfn "$artifact" "$out/www/app.ipa"
    cmp -s "$out/www/manifest.plist" <(curl -fsS "$nginx_url/manifest.plist") || { echo "nginx serves other manifest bytes"; exit 1; }

    if [[ $manifest_only == 0 ]]; then
        # --- 1. one connection, the whole file ------------------------------------------------------------------------
        download() { # <url> -> bytes/s; fails unless the whole file arrived with 200
            local result code got speed
            result=$(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$1")
            read -r code got speed <<<"$result"
            [[ $code == 200 && $got == "$size" ]] || { echo "download of $1 answered $code with $got of $size bytes" >&2; return 1; }
            echo "${speed%.*}"
        }
        # Warm-up: the page cache holds the file and our host has JIT-compiled the path.
        download "$nginx_url/app.ipa" >/dev/null
        download "$ipa_url" >/dev/null
        echo "   one connection, whole $size-byte file, best of $runs (alternating)"
        local best_nginx=0 best_ours=0 n o i
        for i in $(seq 1 "$runs"); do
            n=$(download "$nginx_url/app.ipa")
            o=$(download "$ipa_url")
            echo "   run $i: nginx $(calc "round($n / 1e6)") MB/s, ours $(calc "round($o / 1e6)") MB/s (load $(cut -d' ' -f1 /proc/loadavg))"
            ((n > best_nginx)) && best_nginx=$n
            ((o > best_ours)) && best_ours=$o
        done
        R[$provider.ipa1_ours]=$best_ours
        R[$provider.ipa1_nginx]=$best_nginx

        # --- 2. sixteen concurrent downloads --------------------------------------------------------------------------
        concurrent() { # <url> <seconds> <output>
            wrk -t2 -c16 -d"$2"s --timeout 120s -s "$lua" "$1" >"$3"
        }
        echo "   16 concurrent downloads (wrk -t2 -c16 -d${concurrent_secs}s)"
        concurrent "$ipa_url" 5 "$dir/wrk-warmup.txt" # warm-up: connections, pooled buffers, the thread pool at its size
        sleep 2
        local baseline hwm_reset=no sampler peak mean samples hwm growth
        baseline=$(rss_kib "$host_pid")
        { echo 5 >"/proc/$host_pid/clear_refs"; } 2>/dev/null && hwm_reset=yes
        rm -f "$dir/stop"
        python3 bench/rss_sampler.py "$host_pid" "$dir/stop" 50 >"$dir/rss.txt" &
        sampler=$!
        concurrent "$ipa_url" "$concurrent_secs" "$dir/wrk-ipa-ours.txt"
        touch "$dir/stop"
        wait "$sampler"
        read -r peak mean samples <"$dir/rss.txt"
        hwm=$(hwm_kib "$host_pid")
        [[ $hwm_reset == yes ]] && ((hwm > peak)) && peak=$hwm
        growth=$((peak - baseline))
        concurrent "$nginx_url/app.ipa" "$concurrent_secs" "$dir/wrk-ipa-nginx.txt"
        R[$provider.ipa16_ours]=$(wrk_field "$dir/wrk-ipa-ours.txt" bytes_per_s)
        R[$provider.ipa16_nginx]=$(wrk_field "$dir/wrk-ipa-nginx.txt" bytes_per_s)
        R[$provider.rss]="$((growth / 1024)) MiB (baseline $((baseline / 1024)), peak $((peak / 1024)))"
        echo "   ours:  $(calc "round(${R[$provider.ipa16_ours]} / 1e6)") MB/s, $(wrk_field "$dir/wrk-ipa-ours.txt" requests) whole files, errors $(wrk_field "$dir/wrk-ipa-ours.txt" errors), non-2xx $(wrk_field "$dir/wrk-ipa-ours.txt" non2xx)"
        echo "   nginx: $(calc "round(${R[$provider.ipa16_nginx]} / 1e6)") MB/s, $(wrk_field "$dir/wrk-ipa-nginx.txt" requests) whole files, errors $(wrk_field "$dir/wrk-ipa-nginx.txt" errors), non-2xx $(wrk_field "$dir/wrk-ipa-nginx.txt" non2xx)"
        echo "   host RSS: baseline $((baseline / 1024)) MiB, peak $((peak / 1024)) MiB, mean $((mean / 1024)) MiB over $samples samples (VmHWM reset: $hwm_reset), growth $((growth / 1024)) MiB (load $(cut -d' ' -f1 /proc/loadavg))"
        [[ $(wrk_field "$dir/wrk-ipa-ours.txt" non2xx) == 0 ]] || { echo "ours answered non-2xx to IPA requests"; exit 1; }
    fi

    # --- 3. manifest -------------------------------------------------------------------------------------------------
    manifest() { # <url> <seconds> <output>
        wrk -t2 -c32 -d"$2"s --latency -s "$lua" "$1" >"$3"
    }
    echo "   manifest (wrk -t2 -c32 -d${manifest_secs}s --latency, after ${manifest_warmup_secs}s of warm-up)"
    manifest "$manifest_url" "$manifest_warmup_secs" "$dir/wrk-warmup.txt"
    manifest "$nginx_url/manifest.plist" 3 "$dir/wrk-warmup.txt"
    manifest "$nginx_url/manifest.plist" "$manifest_secs" "$dir/wrk-manifest-nginx.txt"
    local perf_pid= side f
    if [[ -n ${DELIVERY_PERF:-} ]]; then
        perf record -F 499 -g -p "$host_pid" -o "$DELIVERY_PERF.$provider" -- sleep "$manifest_secs" 2>/dev/null &
        perf_pid=$!
    fi
    [[ $provider == postgres ]] && pg_statements_reset delivery_bench
    manifest "$manifest_url" "$manifest_secs" "$dir/wrk-manifest-ours.txt"
    [[ -n $perf_pid ]] && wait "$perf_pid"
    [[ $provider == postgres ]] && pg_statements_top delivery_bench
    for side in ours nginx; do
        f=$dir/wrk-manifest-$side.txt
        echo "   $side: $(wrk_field "$f" rps) req/s, p50 $(calc "$(wrk_field "$f" p50_us) / 1000") ms, p99 $(calc "$(wrk_field "$f" p99_us) / 1000") ms, errors $(wrk_field "$f" errors), non-2xx $(wrk_field "$f" non2xx)"
        R[$provider.manifest_$side]=$(wrk_field "$f" rps)
        R[$provider.manifest_p99_$side]=$(calc "$(wrk_field "$f" p99_us) / 1000")
    done
    [[ $(wrk_field "$dir/wrk-manifest-ours.txt" non2xx) == 0 ]] || { echo "ours answered non-2xx to manifest requests"; exit 1; }

    R[$provider.events]=$(curl -fsS -H "Authorization: Bearer $key" "$url/api/v1/links/$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/link.json")" \
        | python3 -c 'import json, sys; a = json.load(sys.stdin); print(len(a["manifestFetches"]), len(a["downloads"]))')
    stop_pid "$host_pid"
    host_pid=
    rm -rf "$dir/data" # its artifact: the next provider stores its own copy
}

for provider in $providers; do
    run_provider "$provider"
done

ratio() { calc "f'{$1 / $2:.2f}'"; }
echo "== result ($size-byte IPA, $(nproc) cores, load $(load))"
for provider in $providers; do
    echo "   $provider:"
    if [[ $manifest_only == 0 ]]; then
        echo "     IPA, 1 connection:   ours $(calc "round(${R[$provider.ipa1_ours]} / 1e6)") MB/s, nginx $(calc "round(${R[$provider.ipa1_nginx]} / 1e6)") MB/s, ratio $(ratio "${R[$provider.ipa1_ours]}" "${R[$provider.ipa1_nginx]}") (goal >= 0.9)"
        echo "     IPA, 16 connections: ours $(calc "round(${R[$provider.ipa16_ours]} / 1e6)") MB/s, nginx $(calc "round(${R[$provider.ipa16_nginx]} / 1e6)") MB/s, ratio $(ratio "${R[$provider.ipa16_ours]}" "${R[$provider.ipa16_nginx]}")"
        echo "     RSS growth, 16 downloads: ${R[$provider.rss]}; goal < 64 MiB"
    fi
    echo "     manifest: ours ${R[$provider.manifest_ours]} req/s p99 ${R[$provider.manifest_p99_ours]} ms, nginx ${R[$provider.manifest_nginx]} req/s p99 ${R[$provider.manifest_p99_nginx]} ms, ratio $(ratio "${R[$provider.manifest_ours]}" "${R[$provider.manifest_nginx]}") (goal >= 0.3)"
    echo "     recorded by ours for the link: manifest fetches, downloads = ${R[$provider.events]}"
done
if [[ $providers == "sqlite postgres" ]]; then
    echo "   postgres / sqlite:"
    echo "     manifest req/s $(ratio "${R[postgres.manifest_ours]}" "${R[sqlite.manifest_ours]}") (goal >= 0.7: $(calc "'met' if ${R[postgres.manifest_ours]} >= 0.7 * ${R[sqlite.manifest_ours]} else 'NOT met'")), p99 $(ratio "${R[postgres.manifest_p99_ours]}" "${R[sqlite.manifest_p99_ours]}"); nginx in the two passes $(ratio "${R[postgres.manifest_nginx]}" "${R[sqlite.manifest_nginx]}")"
    if [[ $manifest_only == 0 ]]; then
        echo "     IPA 1 connection $(ratio "${R[postgres.ipa1_ours]}" "${R[sqlite.ipa1_ours]}"), 16 connections $(ratio "${R[postgres.ipa16_ours]}" "${R[sqlite.ipa16_ours]}")"
    fi
fi
