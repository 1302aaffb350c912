#!/usr/bin/env bash
# Replicas benchmark: two host processes behind Debian's nginx against one, on one PostgreSQL database and one data
# directory, in one invocation.
#   1. Publish the host in Release, start a throwaway PostgreSQL cluster (bench/pg.sh: initdb, durability defaults)
#      with one database, and nginx on loopback with two servers: port "one" proxies to replica A alone, port "two" to
#      replicas A and B (round robin, keep-alive connections to the upstreams, X-Forwarded-For as docs/operations.md
#      shows; the hosts believe it from 127.0.0.1).
#   2. Start replica A (jobs on, as in production; PublicBaseUrl is nginx's), upload a small IPA through nginx, mint a
#      link; its manifest URL is what the manifest load fetches.
#   3. Phase "one": wrk through nginx to A alone: the manifest (wrk -t2 -c32, as bench/delivery/run.sh) and signed
#      Slack /install commands (wrk -t2 -c64, as bench/slack/run.sh), each after a warm-up.
#   4. Start replica B on the same database and data directory, then phase "two": the same loads through nginx to both.
#   5. nginx's access log names the upstream of every request: both replicas must have served in phase two. Every
#      /install reply must carry the install button and the link rows must match the replies.
# On 2 cores the load generator, nginx, PostgreSQL and the replicas share the same two cores, so a second replica adds
# no CPU: the ratio two / one measures what a second replica costs (another process's runtime, thread pool, GC and
# connection pools competing for the same cores), not how replicas scale.
# Usage: bench/replicas/run.sh   (about 3 minutes on 2 cores; needs python3, curl; installs nginx and wrk, and
#        PostgreSQL's server package, with apt-get when they are missing)
# Environment: REPLICAS_SECS (each measured run, default 20), REPLICAS_WARMUP_SECS (default 10), SLACK_POOL_SIZE
#   (default 20000), BENCH_PG_PORT (the cluster's port; default a free one), REPLICAS_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/pg.sh

secs=${REPLICAS_SECS:-20}
warmup_secs=${REPLICAS_WARMUP_SECS:-10}
pool_size=${SLACK_POOL_SIZE:-20000}
key=bench-uploader-key-0123456789
secret=bench-signing-secret-8f742231b10e8888
slack=$PWD/bench/slack
summary_lua=$PWD/bench/delivery/wrk_summary.lua

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
    echo "== apt-get install nginx wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q nginx wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nginx wrk >/dev/null; }
fi

out=$(mktemp -d -t replicas-bench.XXXXXX)
chmod 755 "$out" # nginx's workers may run as another user
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    pg_stop
    [[ ${REPLICAS_KEEP:-0} == 1 ]] && echo "kept $out" || rm -rf "$out"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
calc() { python3 -c "print($1)"; }
wrk_field() { sed -n "s/.*WRK_SUMMARY.* $2=\([0-9.]*\).*/\1/p" "$1"; } # <wrk output> <field>

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem:/ { print $2 }') GB, .NET $(dotnet --version), $(nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== load: $(load)"

echo "== publish host (Release)"
dotnet publish src/ChatOpsBot -c Release -o "$out/host" -nologo -v quiet -warnaserror >"$out/publish.log" 2>&1 \
    || { cat "$out/publish.log"; exit 1; }
python3 bench/make_ipa.py "$out/bench.ipa" 0 .replicas

pg_start
pg_createdb replicas_bench
db_env postgres replicas_bench
echo "== $(pg_settings), port $PG_PORT"

port_a=$(free_port)
port_b=$(free_port)
port_one=$(free_port)
port_two=$(free_port)
[[ $(printf '%s\n' "$port_a" "$port_b" "$port_one" "$port_two" | sort -u | wc -l) == 4 ]] || { echo "free ports collided; rerun"; exit 1; }
one=http://127.0.0.1:$port_one
two=http://127.0.0.1:$port_two

mkdir -p "$out/nginx" "$out/data"
cat >"$out/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log warn;
events { worker_connections 4096; }
http {
    keepalive_requests 100000000;  # Kestrel does not cap requests per connection either
    log_format upstream '\$server_port \$upstream_addr \$status';
    client_body_temp_path $out/nginx/client_body;
    proxy_temp_path $out/nginx/proxy;
    fastcgi_temp_path $out/nginx/fastcgi;
    uwsgi_temp_path $out/nginx/uwsgi;
    scgi_temp_path $out/nginx/scgi;
    client_max_body_size 64m;
    upstream one { server 127.0.0.1:$port_a; keepalive 64; }
    upstream two { server 127.0.0.1:$port_a; server 127.0.0.1:$port_b; keepalive 64; }
    # As docs/operations.md has it, plus keep-alive connections to the upstreams (HTTP/1.1, no Connection header).
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For \$remote_addr;
    proxy_set_header Host \$host;
    proxy_request_buffering off;
    proxy_buffering off;
    access_log $out/nginx/access.log upstream;
    server { listen 127.0.0.1:$port_one; location / { proxy_pass http://one; } }
    server { listen 127.0.0.1:$port_two; location / { proxy_pass http://two; } }
}
CONF
nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" &
pids+=($!)

start_replica() { # <name> <port>
    local url=http://127.0.0.1:$2
    (
        cd "$out"
        exec env Urls="$url" ChatOpsBot__PublicBaseUrl="$one" ChatOpsBot__DataDirectory="$out/data" "${DB_ENV[@]}" \
            ChatOpsBot__ApiKeys__0__Name=bench ChatOpsBot__ApiKeys__0__Key=$key ChatOpsBot__ApiKeys__0__Role=Uploader \
            ChatOpsBot__Install__RequestsPerWindow=0 ChatOpsBot__ForwardedHeaders__KnownProxies__0=127.0.0.1 \
            Slack__SigningSecret=$secret Slack__BotToken=xoxb-bench Logging__LogLevel__Default=Warning \
            "$out/host/ChatOpsBot" >"$out/host-$1.log" 2>&1
    ) &
    local pid=$!
    pids+=($pid)
    for _ in $(seq 1 300); do
        curl -fsS "$url/readyz" >/dev/null 2>&1 && { echo "== replica $1: pid $pid on $url"; return 0; }
        kill -0 "$pid" 2>/dev/null || { cat "$out/host-$1.log"; exit 1; }
        sleep 0.1
    done
    echo "replica $1 did not become ready"; cat "$out/host-$1.log"; exit 1
}

start_replica A "$port_a"
for _ in $(seq 1 50); do
    curl -fsS -o /dev/null "$one/healthz" 2>/dev/null && break
    sleep 0.1
done
echo "== nginx on $one (A) and $two (A and B), $(nproc) workers"

status=$(curl -sS -o "$out/build.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
    -F "file=@$out/bench.ipa" -F channel=beta -F app=bench "$one/api/v1/builds")
[[ $status == 201 ]] || { echo "upload answered $status: $(cat "$out/build.json")"; exit 1; }
status=$(curl -sS -o "$out/link.json" -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"channel":"beta"}' "$one/api/v1/apps/bench/links")
[[ $status == 201 ]] || { echo "minting a link answered $status: $(cat "$out/link.json")"; exit 1; }
manifest_path=$(python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlsplit(json.load(open(sys.argv[1]))["manifestUrl"]).path)' "$out/link.json")

# One signed /install by hand first, so a wrong setup fails with the host's own answer.
python3 "$slack/sign_pool.py" "$secret" 1 "$out/one.tsv"
IFS=$'\t' read -r ts sig body <"$out/one.tsv"
status=$(curl -sS -o "$out/one.json" -w '%{http_code}' -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$body" "$one/slack/commands")
[[ $status == 200 ]] && grep -q 'Install on iPhone' "$out/one.json" || { echo "/install answered $status: $(cat "$out/one.json")"; exit 1; }
installs=1

manifest() { # <base url> <seconds> <output>
    wrk -t2 -c32 -d"$2"s --latency -s "$summary_lua" "$1$manifest_path" >"$3"
}
install() { # <base url> <seconds> <output>
    python3 "$slack/sign_pool.py" "$secret" "$pool_size" "$out/pool.tsv"
    SLACK_POOL=$out/pool.tsv wrk -t2 -c64 -d"$2"s --latency -s "$slack/slack.lua" "$1/slack/commands" >"$3"
}
phase() { # <one|two> <base url>
    local name=$1 base=$2 f
    echo "== phase $name: manifest (wrk -t2 -c32 -d${secs}s after ${warmup_secs}s), then /install (wrk -t2 -c64 -d${secs}s after ${warmup_secs}s); load $(load)"
    manifest "$base" "$warmup_secs" "$out/$name-manifest-warmup.txt"
    manifest "$base" "$secs" "$out/$name-manifest.txt"
    install "$base" "$warmup_secs" "$out/$name-install-warmup.txt"
    sleep 1
    install "$base" "$secs" "$out/$name-install.txt"
    for f in "$out/$name-manifest-warmup.txt" "$out/$name-manifest.txt"; do
        [[ $(wrk_field "$f" non2xx) == 0 && $(wrk_field "$f" errors) == 0 ]] || { cat "$f"; echo "manifest requests failed in phase $name"; exit 1; }
    done
    for f in "$out/$name-install-warmup.txt" "$out/$name-install.txt"; do
        (($(wrk_field "$f" not200) + $(wrk_field "$f" no_button) + $(wrk_field "$f" errors) == 0)) \
            || { grep FIRST_BAD "$f" || true; echo "/install commands failed in phase $name"; exit 1; }
        installs=$((installs + $(wrk_field "$f" install_ok)))
    done
    echo "   manifest: $(wrk_field "$out/$name-manifest.txt" rps) req/s, p50 $(calc "$(wrk_field "$out/$name-manifest.txt" p50_us) / 1000") ms, p99 $(calc "$(wrk_field "$out/$name-manifest.txt" p99_us) / 1000") ms"
    echo "   /install: $(wrk_field "$out/$name-install.txt" rps) commands/s, p50 $(calc "$(wrk_field "$out/$name-install.txt" p50_us) / 1000") ms, p99 $(calc "$(wrk_field "$out/$name-install.txt" p99_us) / 1000") ms (load after $(load))"
}

phase one "$one"
start_replica B "$port_b"
phase two "$two"

links=$(pg_psql replicas_bench -At -c 'select count(*) from "InstallLinks"')
echo "== upstreams in nginx's access log (port, replica: requests):"
awk -v a="127.0.0.1:$port_a" -v b="127.0.0.1:$port_b" '{ n[$1 " " ($2 == a ? "A" : $2 == b ? "B" : $2)]++ } END { for (k in n) print "   " k ": " n[k] }' "$out/nginx/access.log" | sort
served_b=$(awk -v p="$port_two" -v b="127.0.0.1:$port_b" '$1 == p && $2 == b' "$out/nginx/access.log" | wc -l)
served_a=$(awk -v p="$port_two" -v a="127.0.0.1:$port_a" '$1 == p && $2 == a' "$out/nginx/access.log" | wc -l)
((served_a > 0 && served_b > 0)) || { echo "phase two was not served by both replicas (A $served_a, B $served_b)"; exit 1; }
# Minted = 1 link by the API + every install reply seen; commands in flight when wrk stopped mint rows wrk never saw.
expected=$((installs + 1))
echo "== link rows: $links (API link and install replies wrk saw: $expected)"
((links >= expected && links <= expected + 4 * 64)) || { echo "link rows do not match install replies"; exit 1; }

ratio() { calc "f'{$1 / $2:.2f}'"; }
echo "== result ($(nproc) cores, load $(load); one PostgreSQL database, one data directory, nginx round robin)"
for w in manifest install; do
    o=$out/one-$w.txt t=$out/two-$w.txt
    [[ $w == manifest ]] && unit=req/s || unit=commands/s
    echo "   $w: one replica $(wrk_field "$o" rps) $unit (p99 $(calc "$(wrk_field "$o" p99_us) / 1000") ms), two replicas $(wrk_field "$t" rps) $unit (p99 $(calc "$(wrk_field "$t" p99_us) / 1000") ms): two / one = $(ratio "$(wrk_field "$t" rps)" "$(wrk_field "$o" rps)")"
done
echo "   on $(nproc) cores every process shares the same cores: the ratio is the cost of a second replica, not scaling"
