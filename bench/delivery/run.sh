#!/usr/bin/env bash
# Delivery benchmark: what a phone fetches from /i/{token}, against Debian's nginx serving the same bytes from the same
# machine in the same run.
#   1. IPA throughput, one connection, whole file, best of N (curl), ours vs nginx (sendfile on) on the same file.
#   2. 16 concurrent downloads (wrk -c16) of the IPA: the host's RSS growth (VmRSS every 50 ms, and VmHWM) over a
#      warmed-up baseline, and aggregate throughput ours vs nginx.
#   3. Manifest requests/s and p99 latency (wrk -c32 --latency), ours vs nginx serving a static copy of the bytes ours
#      answered with.
# Every IPA GET on ours records a download row and every manifest GET an event row in SQLite, as in production; the
# per-address rate limit on /i/ is off (ChatOpsBot__Install__RequestsPerWindow=0), or wrk would get 429s.
# Usage: bench/delivery/run.sh   (about 3 minutes on 2 cores; needs python3, curl, about 1.5 GB under $TMPDIR; installs
#        nginx and wrk with apt-get when they are missing)
# Environment: DELIVERY_MIB (IPA payload, default 512), DELIVERY_RUNS (single-connection downloads each, default 3),
#   DELIVERY_CONCURRENT_SECS (default 20), DELIVERY_MANIFEST_SECS (default 15), DELIVERY_MANIFEST_ONLY=1 (skip 1 and 2,
#   for iterating on the manifest path with a small DELIVERY_MIB), DELIVERY_PERF=<file> (perf record of the host during
#   its manifest run, JIT symbols in /tmp/perf-<pid>.map).
set -euo pipefail
cd "$(dirname "$0")/../.."

mib=${DELIVERY_MIB:-512}
runs=${DELIVERY_RUNS:-3}
concurrent_secs=${DELIVERY_CONCURRENT_SECS:-20}
manifest_secs=${DELIVERY_MANIFEST_SECS:-15}
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
cleanup() {
    for pid in $nginx_pid $host_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
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

port=$(free_port)
url=http://127.0.0.1:$port
mkdir -p "$out/data"
(
    cd "$out"
    export Urls=$url ChatOpsBot__PublicBaseUrl=$url ChatOpsBot__DataDirectory=$out/data \
        ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
        ChatOpsBot__Uploads__MaxBytes=$((2 * 1024 * 1024 * 1024)) ChatOpsBot__Install__RequestsPerWindow=0 \
        Logging__LogLevel__Default=Warning
    [[ -n ${DELIVERY_PERF:-} ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
    exec "$out/host/ChatOpsBot" >"$out/host.log" 2>&1
) &
host_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    kill -0 "$host_pid" || { cat "$out/host.log"; exit 1; }
    sleep 0.1
done
echo "== host pid $host_pid on $url, SQLite journal mode $(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma journal_mode").fetchone()[0])' "$out/data/chatopsbot.db")"

status=$(curl -sS -o "$out/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
    -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$url/api/v1/builds")
[[ $status == 201 ]] || { echo "upload answered $status: $(cat "$out/build.json")"; exit 1; }
rm "$out/bench.ipa" # the host's stored artifact is the file both servers send
sha=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sha256"])' "$out/build.json")
artifact=$out/data/artifacts/${sha:0:2}/$sha
[[ -f $artifact ]] || { echo "no stored artifact for $sha"; exit 1; }
status=$(curl -sS -o "$out/link.json" -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"channel":"beta"}' "$url/api/v1/apps/bench/links")
[[ $status == 201 ]] || { echo "minting a link answered $status: $(cat "$out/link.json")"; exit 1; }
manifest_url=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifestUrl"])' "$out/link.json")
ipa_url=${manifest_url%/manifest.plist}/app.ipa

mkdir -p "$out/www" "$out/nginx"
curl -fsS -o "$out/www/manifest.plist" "$manifest_url"
ln -s "$artifact" "$out/www/app.ipa"
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
    types { application/octet-stream ipa; text/xml plist; }
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
    curl -fsS -o /dev/null "$nginx_url/manifest.plist" 2>/dev/null && break
    kill -0 "$nginx_pid" || { cat "$out/nginx/error.log"; exit 1; }
    sleep 0.1
done
cmp -s "$out/www/manifest.plist" <(curl -fsS "$nginx_url/manifest.plist") || { echo "nginx serves other manifest bytes"; exit 1; }
echo "== nginx pid $nginx_pid on $nginx_url (sendfile on, $(nproc) workers), same artifact file and manifest bytes"

if [[ ${DELIVERY_MANIFEST_ONLY:-0} == 0 ]]; then
# --- 1. one connection, the whole file --------------------------------------------------------------------------------
download() { # <url> -> bytes/s; fails unless the whole file arrived with 200
    local result
    result=$(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$1")
    read -r code got speed <<<"$result"
    [[ $code == 200 && $got == "$size" ]] || { echo "download of $1 answered $code with $got of $size bytes" >&2; return 1; }
    echo "${speed%.*}"
}
# Warm-up: the page cache holds the file and our host has JIT-compiled the path.
download "$nginx_url/app.ipa" >/dev/null
download "$ipa_url" >/dev/null
echo "== one connection, whole $size-byte file, best of $runs (alternating)"
best_nginx=0
best_ours=0
for i in $(seq 1 "$runs"); do
    n=$(download "$nginx_url/app.ipa")
    o=$(download "$ipa_url")
    echo "   run $i: nginx $(calc "round($n / 1e6)") MB/s, ours $(calc "round($o / 1e6)") MB/s (load $(cut -d' ' -f1 /proc/loadavg))"
    ((n > best_nginx)) && best_nginx=$n
    ((o > best_ours)) && best_ours=$o
done

# --- 2. sixteen concurrent downloads -----------------------------------------------------------------------------------
concurrent() { # <url> <seconds> <output>
    wrk -t2 -c16 -d"$2"s --timeout 120s -s "$lua" "$1" >"$3"
}
echo "== 16 concurrent downloads (wrk -t2 -c16 -d${concurrent_secs}s)"
concurrent "$ipa_url" 5 "$out/wrk-warmup.txt" # warm-up: connections, pooled buffers, the thread pool at its size
sleep 2
baseline=$(rss_kib "$host_pid")
hwm_reset=no
{ echo 5 >"/proc/$host_pid/clear_refs"; } 2>/dev/null && hwm_reset=yes
python3 bench/rss_sampler.py "$host_pid" "$out/stop" 50 >"$out/rss.txt" &
sampler=$!
concurrent "$ipa_url" "$concurrent_secs" "$out/wrk-ipa-ours.txt"
touch "$out/stop"
wait "$sampler"
read -r peak mean samples <"$out/rss.txt"
hwm=$(hwm_kib "$host_pid")
[[ $hwm_reset == yes ]] && ((hwm > peak)) && peak=$hwm
growth=$((peak - baseline))
concurrent "$nginx_url/app.ipa" "$concurrent_secs" "$out/wrk-ipa-nginx.txt"
agg_ours=$(wrk_field "$out/wrk-ipa-ours.txt" bytes_per_s)
agg_nginx=$(wrk_field "$out/wrk-ipa-nginx.txt" bytes_per_s)
echo "   ours:  $(calc "round($agg_ours / 1e6)") MB/s, $(wrk_field "$out/wrk-ipa-ours.txt" requests) whole files, errors $(wrk_field "$out/wrk-ipa-ours.txt" errors), non-2xx $(wrk_field "$out/wrk-ipa-ours.txt" non2xx)"
echo "   nginx: $(calc "round($agg_nginx / 1e6)") MB/s, $(wrk_field "$out/wrk-ipa-nginx.txt" requests) whole files, errors $(wrk_field "$out/wrk-ipa-nginx.txt" errors), non-2xx $(wrk_field "$out/wrk-ipa-nginx.txt" non2xx)"
echo "   host RSS: baseline $((baseline / 1024)) MiB, peak $((peak / 1024)) MiB, mean $((mean / 1024)) MiB over $samples samples (VmHWM reset: $hwm_reset), growth $((growth / 1024)) MiB (load $(cut -d' ' -f1 /proc/loadavg))"

fi

# --- 3. manifest ---------------------------------------------------------------------------------------------------------
manifest() { # <url> <seconds> <output>
    wrk -t2 -c32 -d"$2"s --latency -s "$lua" "$1" >"$3"
}
echo "== manifest (wrk -t2 -c32 -d${manifest_secs}s --latency)"
manifest "$manifest_url" 3 "$out/wrk-warmup.txt"
manifest "$nginx_url/manifest.plist" 3 "$out/wrk-warmup.txt"
manifest "$nginx_url/manifest.plist" "$manifest_secs" "$out/wrk-manifest-nginx.txt"
if [[ -n ${DELIVERY_PERF:-} ]]; then
    perf record -F 499 -g -p "$host_pid" -o "$DELIVERY_PERF" -- sleep "$manifest_secs" 2>/dev/null &
    perf_pid=$!
fi
manifest "$manifest_url" "$manifest_secs" "$out/wrk-manifest-ours.txt"
[[ -n ${DELIVERY_PERF:-} ]] && wait "$perf_pid"
for side in ours nginx; do
    f=$out/wrk-manifest-$side.txt
    echo "   $side: $(wrk_field "$f" rps) req/s, p50 $(calc "$(wrk_field "$f" p50_us) / 1000") ms, p99 $(calc "$(wrk_field "$f" p99_us) / 1000") ms, errors $(wrk_field "$f" errors), non-2xx $(wrk_field "$f" non2xx)"
done
rps_ours=$(wrk_field "$out/wrk-manifest-ours.txt" rps)
rps_nginx=$(wrk_field "$out/wrk-manifest-nginx.txt" rps)
[[ $(wrk_field "$out/wrk-manifest-ours.txt" non2xx) == 0 ]] || { echo "ours answered non-2xx to manifest requests"; exit 1; }
[[ ${DELIVERY_MANIFEST_ONLY:-0} == 1 ]] && exit 0
[[ $(wrk_field "$out/wrk-ipa-ours.txt" non2xx) == 0 ]] || { echo "ours answered non-2xx to IPA requests"; exit 1; }

events=$(curl -fsS -H "Authorization: Bearer $key" "$url/api/v1/links/$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$out/link.json")" \
    | python3 -c 'import json, sys; a = json.load(sys.stdin); print(len(a["manifestFetches"]), len(a["downloads"]))')

echo "== result ($size-byte IPA, $(nproc) cores, load $(load))"
echo "   IPA, 1 connection:   ours $(calc "round($best_ours / 1e6)") MB/s, nginx $(calc "round($best_nginx / 1e6)") MB/s, ratio $(calc "f'{$best_ours / $best_nginx:.2f}'") (goal >= 0.9)"
echo "   IPA, 16 connections: ours $(calc "round($agg_ours / 1e6)") MB/s, nginx $(calc "round($agg_nginx / 1e6)") MB/s, ratio $(calc "f'{$agg_ours / $agg_nginx:.2f}'")"
echo "   RSS growth, 16 downloads: $((growth / 1024)) MiB (baseline $((baseline / 1024)), peak $((peak / 1024)); goal < 64)"
echo "   manifest: ours $rps_ours req/s p99 $(calc "$(wrk_field "$out/wrk-manifest-ours.txt" p99_us) / 1000") ms, nginx $rps_nginx req/s p99 $(calc "$(wrk_field "$out/wrk-manifest-nginx.txt" p99_us) / 1000") ms, ratio $(calc "f'{$rps_ours / $rps_nginx:.2f}'") (goal >= 0.3)"
echo "   recorded by ours for the link: manifest fetches, downloads = $events"
