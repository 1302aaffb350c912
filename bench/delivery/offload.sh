#!/usr/bin/env bash
# Delivery offload benchmark (issue 12): Debian's nginx in front of the host with ChatOpsBot:Delivery:Offload=
# XAccelRedirect (the host authorises and records, nginx sends the IPA with sendfile), against the same nginx serving
# the same file directly, in one run; beside them the direct path (a host with Offload=None, Kestrel sending the
# bytes, reached without nginx) and the manifest through nginx.
#   1. IPA, one connection, whole file (curl), N runs of the three in rotating order; medians of each and of the
#      runs' own ratios.
#   2. IPA, 16 concurrent downloads (wrk -t2 -c16), aggregate throughput of each, in alternating rounds so that a
#      load that changes during the run (the machine is shared) weighs on all three alike.
#   3. Manifest requests/s and p99 (wrk -t2 -c32 --latency): nginx serving a static copy, ours through nginx
#      (proxy_pass, keepalive to the host), ours direct.
# One nginx process (worker_processes auto, sendfile on) with two servers: one serves the stored artifact and the
# manifest bytes from a directory (the reference), one proxies to the offloading host and has the internal location
# of docs/operations.md ("Offloading IPA bytes to nginx"). SQLite; every IPA GET records a download row, every
# manifest GET an event row; the per-address limit on /i/ is off (ChatOpsBot__Install__RequestsPerWindow=0).
# Usage: bench/delivery/offload.sh   (about 4 minutes on 2 cores; needs python3, curl, nginx, wrk, taskset, about 1 GB under
#        $TMPDIR; installs nginx and wrk with apt-get when they are missing)
# Environment: DELIVERY_MIB (IPA payload, default 256), DELIVERY_RUNS (single-connection downloads each, default 40),
#   DELIVERY_CONCURRENT_SECS (default 30, per side, split into DELIVERY_CONCURRENT_ROUNDS, default 6), DELIVERY_MANIFEST_SECS (default 10), DELIVERY_MANIFEST_WARMUP_SECS (default 10).
#   DELIVERY_LAYOUT: split (default) runs the client (curl, wrk) on CPU 0 and nginx on the other CPUs, so that the
#   client never shares nginx's core; the hosts stay where the scheduler puts them, as an app beside nginx on a server.
#   shared leaves all of them to the scheduler: on 2 cores it puts curl and the nginx worker on the same core in some
#   transfers and not in others, which alone moves a single transfer by up to 2x (docs/benchmarks.md, "Issue 12",
#   sixth measurement). DELIVERY_RUNS defaults to 40: single transfers here range over 2-4x, and the median of 15
#   runs' ratios moved by +-0.08 between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

mib=${DELIVERY_MIB:-256}
runs=${DELIVERY_RUNS:-40}
concurrent_secs=${DELIVERY_CONCURRENT_SECS:-30}
manifest_secs=${DELIVERY_MANIFEST_SECS:-10}
manifest_warmup_secs=${DELIVERY_MANIFEST_WARMUP_SECS:-10}
key=bench-uploader-key-0123456789
lua=$PWD/bench/delivery/wrk_summary.lua

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    echo "== apt-get install nginx wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q nginx wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nginx wrk >/dev/null; }
fi

out=$(mktemp -d -t delivery-offload.XXXXXX)
chmod 755 "$out" # nginx's workers may run as another user
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$out"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU time the hypervisor gave to others ("steal", /proc/stat) against all CPU time, since a snapshot of both.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }
steal_since() { # <snapshot from cpu_ticks> -> percent
    local s0 t0 s1 t1
    read -r s0 t0 <<<"$1"; read -r s1 t1 <<<"$(cpu_ticks)"
    python3 -c "print(round(100 * ($s1 - $s0) / max(1, $t1 - $t0), 1))"
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
calc() { python3 -c "print($1)"; }
mbs() { calc "round($1 / 1e6)"; }
ratio() { calc "f'{$1 / $2:.2f}'"; }
wrk_field() { sed -n "s/.*WRK_SUMMARY.* $2=\([0-9.]*\).*/\1/p" "$1"; } # <wrk output> <field>
cpu_ms() { awk '{ print ($14 + $15) * 10 }' "/proc/$1/stat"; } # utime + stime at 100 ticks/s
json() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))$2)" "$1"; } # <file> <python subscript>

layout=${DELIVERY_LAYOUT:-split}
client=() server=()
if [[ $layout == split ]]; then
    (( $(nproc) >= 2 )) || { echo "DELIVERY_LAYOUT=split needs at least 2 CPUs; use DELIVERY_LAYOUT=shared"; exit 1; }
    client=(taskset -c 0)
    server=(taskset -c "1-$(( $(nproc) - 1 ))") # nginx only
elif [[ $layout != shared ]]; then
    echo "DELIVERY_LAYOUT is split or shared, not $layout"; exit 1
fi
echo "== layout: $layout$([[ $layout == split ]] && echo " (client on CPU 0, nginx on CPUs 1-$(( $(nproc) - 1 )), the hosts anywhere)")"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ { print $2 }') GB, .NET $(dotnet --version), $(nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== load at start: $(load)"
load_start=$(load)

echo "== generate $mib MiB IPA in $out"
python3 bench/make_ipa.py "$out/bench.ipa" "$mib"
size=$(stat -c %s "$out/bench.ipa")
echo "   $size bytes"

echo "== publish host (Release)"
dotnet publish src/ChatOpsBot -c Release -o "$out/host" -nologo -v quiet -warnaserror >"$out/publish.log" 2>&1 \
    || { cat "$out/publish.log"; exit 1; }

start_host() { # <name> <offload> -> sets url_<name>, data_<name>, ipa_<name>, manifest_<name>, link_<name>
    local name=$1 offload=$2 dir=$out/$1 port url status
    mkdir -p "$dir/data"
    chmod 755 "$dir" "$dir/data"
    port=$(free_port)
    url=http://127.0.0.1:$port
    (
        cd "$dir"
        export Urls=$url ChatOpsBot__PublicBaseUrl=$url ChatOpsBot__DataDirectory=$dir/data \
            ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
            ChatOpsBot__Uploads__MaxBytes=$((2 * 1024 * 1024 * 1024)) ChatOpsBot__Install__RequestsPerWindow=0 \
            ChatOpsBot__Delivery__Offload=$offload Logging__LogLevel__Default=Warning
        exec "$out/host/ChatOpsBot" >"$dir/host.log" 2>&1
    ) &
    pids+=($!)
    for _ in $(seq 1 300); do
        curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        kill -0 "${pids[-1]}" || { cat "$dir/host.log"; exit 1; }
        sleep 0.1
    done
    status=$(curl -sS -o "$dir/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
        -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$url/api/v1/builds")
    [[ $status == 201 ]] || { echo "upload answered $status: $(cat "$dir/build.json")"; exit 1; }
    status=$(curl -sS -o "$dir/link.json" -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d '{"channel":"beta"}' "$url/api/v1/apps/bench/links")
    [[ $status == 201 ]] || { echo "minting a link answered $status: $(cat "$dir/link.json")"; exit 1; }
    local manifest_path
    manifest_path=$(python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlsplit(json.load(open(sys.argv[1]))["manifestUrl"]).path)' "$dir/link.json")
    printf -v "pid_$name" %s "${pids[-1]}"
    printf -v "url_$name" %s "$url"
    printf -v "data_$name" %s "$dir/data"
    printf -v "manifest_$name" %s "$manifest_path"
    printf -v "ipa_$name" %s "${manifest_path%/manifest.plist}/app.ipa"
    printf -v "sha_$name" %s "$(json "$dir/build.json" '["sha256"]')"
    printf -v "link_$name" %s "$(json "$dir/link.json" '["id"]')"
    echo "== host $name (Offload=$offload) pid ${pids[-1]} on $url"
}
start_host offload XAccelRedirect
start_host direct None

# The reference serves the offloading host's stored file (a symlink: the same page-cache pages) and manifest bytes.
mkdir -p "$out/www" "$out/nginx"
chmod 755 "$out/www" "$out/nginx"
ln -sfn "$data_offload/artifacts/${sha_offload:0:2}/$sha_offload" "$out/www/app.ipa"
curl -fsS -o "$out/www/manifest.plist" "$url_offload$manifest_offload"
echo ready >"$out/www/ready.txt"
chmod -R a+rX "$data_offload/artifacts"
port_static=$(free_port)
port_proxy=$(free_port)
static=http://127.0.0.1:$port_static
proxy=http://127.0.0.1:$port_proxy
cat >"$out/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 1024; }
http {
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    access_log $out/nginx/access.log;
    client_body_temp_path $out/nginx/client_body;
    proxy_temp_path $out/nginx/proxy;
    fastcgi_temp_path $out/nginx/fastcgi;
    uwsgi_temp_path $out/nginx/uwsgi;
    scgi_temp_path $out/nginx/scgi;
    types { application/octet-stream ipa; text/xml plist; text/plain txt; }
    upstream chatopsbot {
        server ${url_offload#http://};
        keepalive 32;
    }
    server {
        # nginx serving the file itself: the reference.
        listen 127.0.0.1:$port_static;
        root $out/www;
        add_header Cache-Control no-store always;
        add_header Referrer-Policy no-referrer always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Robots-Tag "noindex, nofollow" always;
    }
    server {
        # nginx in front of the host, as docs/operations.md configures it.
        listen 127.0.0.1:$port_proxy;
        client_max_body_size 4g;
        location / {
            proxy_pass http://chatopsbot;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header Host \$host;
            proxy_request_buffering off;
            proxy_buffering off;
        }
        location /_chatopsbot/artifacts/ {
            internal;
            alias $data_offload/artifacts/;
            sendfile on;
            tcp_nopush on;
            max_ranges 1;
            etag off;
            if_modified_since off;
            add_header Last-Modified "";
            add_header ETag \$upstream_http_etag;
            add_header Referrer-Policy \$upstream_http_referrer_policy;
            add_header X-Content-Type-Options \$upstream_http_x_content_type_options;
            add_header X-Robots-Tag \$upstream_http_x_robots_tag;
        }
    }
}
CONF
"${server[@]}" nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
pids+=($!)
for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "$static/ready.txt" 2>/dev/null && break
    kill -0 "${pids[-1]}" || { cat "$out/nginx/error.log"; exit 1; }
    sleep 0.1
done
echo "== nginx pid ${pids[-1]}: $static serves the file, $proxy proxies to the offloading host ($(nproc) workers, sendfile on)"

# The three ways to the same bytes.
declare -A url=([nginx]=$static/app.ipa [offload]=$proxy$ipa_offload [direct]=$url_direct$ipa_direct)
declare -A label=([nginx]="nginx serving the file" [offload]="ours, offloaded to nginx" [direct]="ours direct (Kestrel)")
for side in nginx offload direct; do
    cmp -s "$out/bench.ipa" <(curl -fsS "${url[$side]}") || { echo "${label[$side]} does not send the uploaded bytes"; exit 1; }
done
headers=$(curl -sS -D - -o /dev/null -H 'Range: bytes=0-99' "${url[offload]}" | tr -d '\r')
grep -q '^HTTP/1.1 206' <<<"$headers" && grep -qi "^etag: \"$sha_offload\"" <<<"$headers" && grep -qi '^content-range: bytes 0-99/' <<<"$headers" \
    || { echo "the offloaded range answer is not what the host would send:"; echo "$headers"; exit 1; }

declare -A R
download() { # <url> -> bytes/s; fails unless the whole file arrived with 200
    local result code got speed
    result=$("${client[@]}" curl -sS -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$1")
    read -r code got speed <<<"$result"
    [[ $code == 200 && $got == "$size" ]] || { echo "download of $1 answered $code with $got of $size bytes" >&2; return 1; }
    echo "${speed%.*}"
}
for side in nginx offload direct; do download "${url[$side]}" >/dev/null; done # warm-up
# Single transfers of the same cached file by the same nginx vary by up to 2x on this VM, so each run downloads the
# three one after the other (their order rotating), and the result is the median of each side and the median of the
# per-run ratios: a slow moment falls on one run's three transfers, not on one side.
echo "== IPA, one connection, whole $size-byte file, $runs runs of the three in turn (median)"
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
declare -A singles=([nginx]="" [offload]="" [direct]="")
ratios_offload="" ratios_direct=""
orders=("nginx offload direct" "offload direct nginx" "direct nginx offload")
steal_singles=$(cpu_ticks)
for i in $(seq 1 "$runs"); do
    line="   run $i:"
    steal_run=$(cpu_ticks)
    declare -A this=()
    for side in ${orders[$(( (i - 1) % 3 ))]}; do
        this[$side]=$(download "${url[$side]}")
        singles[$side]+=" ${this[$side]}"
    done
    for side in nginx offload direct; do line+=" $side $(mbs "${this[$side]}") MB/s,"; done
    ratios_offload+=" $(calc "${this[offload]} / ${this[nginx]}")"
    ratios_direct+=" $(calc "${this[direct]} / ${this[nginx]}")"
    echo "$line offload/nginx $(ratio "${this[offload]}" "${this[nginx]}"), load $(cut -d' ' -f1 /proc/loadavg), steal $(steal_since "$steal_run") %"
    unset this
done
R[ipa1_steal]=$(steal_since "$steal_singles")
for side in nginx offload direct; do
    # shellcheck disable=SC2086 # word splitting of the lists is the point
    R[ipa1_$side]=$(median ${singles[$side]})
    # shellcheck disable=SC2086
    R[ipa1_range_$side]="$(mbs "$(python3 -c 'import sys; print(min(float(x) for x in sys.argv[1:]))' ${singles[$side]})")-$(mbs "$(python3 -c 'import sys; print(max(float(x) for x in sys.argv[1:]))' ${singles[$side]})")"
done
# shellcheck disable=SC2086
R[ipa1_ratio_offload]=$(calc "f'{$(median $ratios_offload):.2f}'")
# How far the median of these runs could be from the median of many more (95 % bootstrap interval, fixed seed).
# shellcheck disable=SC2086
R[ipa1_ratio_offload_ci]=$(python3 -c 'import random, statistics, sys
r = [float(x) for x in sys.argv[1:]]; random.seed(12)
m = sorted(statistics.median(random.choices(r, k=len(r))) for _ in range(2000))
print(f"{m[50]:.2f}-{m[1949]:.2f}")' $ratios_offload)
# shellcheck disable=SC2086
R[ipa1_ratio_direct]=$(calc "f'{$(median $ratios_direct):.2f}'")
echo "   medians: nginx $(mbs "${R[ipa1_nginx]}") MB/s (${R[ipa1_range_nginx]}), offload $(mbs "${R[ipa1_offload]}") (${R[ipa1_range_offload]}), direct $(mbs "${R[ipa1_direct]}") (${R[ipa1_range_direct]}); median of the runs' ratios: offload/nginx ${R[ipa1_ratio_offload]} (95 % bootstrap interval ${R[ipa1_ratio_offload_ci]}), direct/nginx ${R[ipa1_ratio_direct]}; steal ${R[ipa1_steal]} % of CPU time meanwhile"

rounds=${DELIVERY_CONCURRENT_ROUNDS:-6}
slice=$(( (concurrent_secs + rounds - 1) / rounds ))
echo "== IPA, 16 concurrent downloads (wrk -t2 -c16), $rounds rounds of ${slice}s each, alternating, after 3 s of warm-up each"
for side in nginx offload direct; do
    "${client[@]}" wrk -t2 -c16 -d3s --timeout 120s -s "$lua" "${url[$side]}" >"$out/wrk-warmup.txt"
    R[ipa16_bytes_$side]=0; R[ipa16_secs_$side]=0; R[ipa16_files_$side]=0; R[ipa16_cpu_$side]=0
done
declare -A server_pid=([offload]=$pid_offload [direct]=$pid_direct)
declare -A round_rate=()
steal_rounds=$(cpu_ticks)
round_ratios=""
for round in $(seq 1 "$rounds"); do
    line="   round $round:"
    for side in nginx offload direct; do
        f=$out/wrk-ipa-$side-$round.txt
        [[ -n ${server_pid[$side]:-} ]] && c0=$(cpu_ms "${server_pid[$side]}")
        "${client[@]}" wrk -t2 -c16 -d"$slice"s --timeout 120s -s "$lua" "${url[$side]}" >"$f"
        [[ -n ${server_pid[$side]:-} ]] && R[ipa16_cpu_$side]=$((R[ipa16_cpu_$side] + $(cpu_ms "${server_pid[$side]}") - c0))
        [[ $(wrk_field "$f" non2xx) == 0 && $(wrk_field "$f" errors) == 0 ]] || { echo "${label[$side]}: errors or non-2xx answers to IPA requests"; cat "$f"; exit 1; }
        R[ipa16_bytes_$side]=$(calc "${R[ipa16_bytes_$side]} + $(wrk_field "$f" bytes_per_s) * $slice")
        R[ipa16_secs_$side]=$((R[ipa16_secs_$side] + slice))
        R[ipa16_files_$side]=$((R[ipa16_files_$side] + $(wrk_field "$f" requests)))
        line+=" $side $(mbs "$(wrk_field "$f" bytes_per_s)") MB/s,"
        round_rate[$side]=$(wrk_field "$f" bytes_per_s)
    done
    round_ratios+=" $(calc "${round_rate[offload]} / ${round_rate[nginx]}")"
    echo "$line offload/nginx $(ratio "${round_rate[offload]}" "${round_rate[nginx]}"), load $(cut -d' ' -f1 /proc/loadavg)"
done
for side in nginx offload direct; do
    R[ipa16_$side]=$(calc "${R[ipa16_bytes_$side]} / ${R[ipa16_secs_$side]}")
    cpu=""
    [[ -n ${server_pid[$side]:-} ]] && cpu=", host CPU $(calc "round(${R[ipa16_cpu_$side]} / ${R[ipa16_secs_$side]} / 10)") % of one core"
    echo "   ${label[$side]}: $(mbs "${R[ipa16_$side]}") MB/s over ${R[ipa16_secs_$side]} s, ${R[ipa16_files_$side]} whole files$cpu"
done
# shellcheck disable=SC2086
echo "   median of the rounds' own offload/nginx ratios: $(calc "f'{$(median $round_ratios):.2f}'"); steal $(steal_since "$steal_rounds") % of CPU time meanwhile"

steal_manifest=$(cpu_ticks)
echo "== manifest (wrk -t2 -c32 -d${manifest_secs}s --latency, after ${manifest_warmup_secs}s of warm-up)"
declare -A murl=([nginx]=$static/manifest.plist [proxied]=$proxy$manifest_offload [direct]=$url_direct$manifest_direct)
declare -A mlabel=([nginx]="nginx static copy" [proxied]="ours through nginx" [direct]="ours direct")
for side in nginx proxied direct; do
    "${client[@]}" wrk -t2 -c32 -d"$manifest_warmup_secs"s --latency -s "$lua" "${murl[$side]}" >"$out/wrk-warmup.txt"
    "${client[@]}" wrk -t2 -c32 -d"$manifest_secs"s --latency -s "$lua" "${murl[$side]}" >"$out/wrk-manifest-$side.txt"
    f=$out/wrk-manifest-$side.txt
    R[manifest_$side]=$(wrk_field "$f" rps)
    R[manifest_p99_$side]=$(calc "$(wrk_field "$f" p99_us) / 1000")
    echo "   ${mlabel[$side]}: ${R[manifest_$side]} req/s, p50 $(calc "$(wrk_field "$f" p50_us) / 1000") ms, p99 ${R[manifest_p99_$side]} ms, errors $(wrk_field "$f" errors), non-2xx $(wrk_field "$f" non2xx) (load $(cut -d' ' -f1 /proc/loadavg))"
    [[ $(wrk_field "$f" non2xx) == 0 ]] || { echo "non-2xx answers to manifest requests"; exit 1; }
done

recorded() { # <host> -> "<downloads> downloads (<completed> completed), <fetches> manifest fetches"
    local u l
    u=url_$1; l=link_$1
    curl -fsS -H "Authorization: Bearer $key" "${!u}/api/v1/links/${!l}" | python3 -c 'import json, sys
a = json.load(sys.stdin); d = a["downloads"]; done = sum(1 for x in d if x["completed"])
print("%d downloads (%d completed), %d manifest fetches" % (len(d), done, len(a["manifestFetches"])))'
}

echo "   steal $(steal_since "$steal_manifest") % of CPU time during the manifest measurements"
echo "== result ($size-byte IPA, $(nproc) cores, layout $layout; load at start $load_start, at end $(load))"
printf '   %-38s %14s %14s %14s %18s\n' "" "nginx (file)" "ours offload" "ours direct" "offload / nginx"
printf '   %-38s %11s MB/s %9s MB/s %9s MB/s %18s\n' "IPA, 1 connection (median of $runs)" "$(mbs "${R[ipa1_nginx]}")" "$(mbs "${R[ipa1_offload]}")" "$(mbs "${R[ipa1_direct]}")" "${R[ipa1_ratio_offload]} (goal >= 0.95)"
printf '   %-38s %11s MB/s %9s MB/s %9s MB/s %18s\n' "IPA, 16 connections (aggregate)" "$(mbs "${R[ipa16_nginx]}")" "$(mbs "${R[ipa16_offload]}")" "$(mbs "${R[ipa16_direct]}")" "$(ratio "${R[ipa16_offload]}" "${R[ipa16_nginx]}") (goal >= 0.95)"
printf '   %-38s %9s req/s %8s req/s %8s req/s %18s\n' "manifest (through nginx: middle column)" "${R[manifest_nginx]}" "${R[manifest_proxied]}" "${R[manifest_direct]}" "$(ratio "${R[manifest_proxied]}" "${R[manifest_nginx]}")"
printf '   %-38s %11s ms %11s ms %11s ms\n' "manifest p99" "${R[manifest_p99_nginx]}" "${R[manifest_p99_proxied]}" "${R[manifest_p99_direct]}"
echo "   (1 connection: the ratios are the medians of the runs' own ratios; offload/nginx 95 % bootstrap interval ${R[ipa1_ratio_offload_ci]})"
echo "   direct path / nginx: 1 connection ${R[ipa1_ratio_direct]}, 16 connections $(ratio "${R[ipa16_direct]}" "${R[ipa16_nginx]}")"
echo "   recorded on the offloading host's link: $(recorded offload); on the direct host's: $(recorded direct)"
