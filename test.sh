#!/usr/bin/env bash
# The one test command: installs what the tests need, builds with warnings as errors, starts a throwaway PostgreSQL
# server, runs every test project in the solution (SQLite, the default provider) and then the host's behaviour tests
# again on PostgreSQL, and ends with "N passed, N failed" counted from both passes' TRX result files.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests drive as independent implementations or real peers (nginx: in front of the host for the
# IPA offload and the deploy/ configuration; node and npm: the s3rver object store; aapt, zipalign and apksigner
# build the test APKs and read them back, keytool comes with apksigner's JDK).
declare -A needs=([plistutil]=libplist-utils [chromium]=chromium [zbarimg]=zbar-tools [nginx]=nginx [node]=nodejs [npm]=npm [aapt]=aapt [zipalign]=zipalign [apksigner]=apksigner)
missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}")
done
# The framework resources aapt links test APKs against (Debian ships no android.jar).
[ -f /usr/share/android-framework-res/framework-res.apk ] || missing+=(android-framework-res)
# PostgreSQL's server programs (initdb, pg_ctl); Debian keeps them out of the PATH.
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | while read -r d; do [ -x "$d/initdb" ] && echo "$d"; done | sort -V | tail -n 1; }
[ -n "$(pg_bin_dir)" ] || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is required by the interoperability tests" >&2; exit 1; }
# s3rver, the S3-compatible server the object-storage tests start (tests/ChatOpsBot.Tests/S3/S3rverServer.cs), at the
# version tests/s3/package-lock.json pins.
[ -f tests/s3/node_modules/s3rver/package.json ] || npm ci --prefix tests/s3 --no-audit --no-fund --loglevel=error
# axe-core, the accessibility checker the console's browser tests inject into each page, at the version
# tests/axe/package-lock.json pins.
[ -f tests/axe/node_modules/axe-core/axe.min.js ] || npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error

dotnet build ChatOpsBot.sln -c Release -warnaserror -nologo -v quiet

# A throwaway PostgreSQL server for the whole run, removed at exit however the run ends. The tests' harness makes its
# own the same way when run without this script (tests/ChatOpsBot.Tests/Postgres/PostgresCluster.cs, the same
# settings: nothing is fsynced, room for many hosts at once). It runs as the postgres user when we are root, as
# PostgreSQL refuses root. The directory's prefix and owner file let the harness remove it should this script be killed.
pg_bin="$(pg_bin_dir)"
pg_root="$(mktemp -d /tmp/chatopsbot-pg-XXXXXX)"
chmod 755 "$pg_root"
echo "$$" > "$pg_root/owner.new" && mv "$pg_root/owner.new" "$pg_root/owner"
pg_data="$pg_root/data"
mkdir "$pg_data"
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$pg_data"
  as_postgres=(runuser -u postgres --)
fi
pg_ctl() { (cd /tmp && env -u PGDATA -u PGPORT -u PGHOST "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_data" "$@"); }
stop_postgres() {
  if [ -f "$pg_data/postmaster.pid" ]; then pg_ctl -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$pg_root"
}
trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
(cd /tmp && "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres -E UTF8 --locale=C --no-sync --no-instructions >/dev/null)
cat >> "$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 500
shared_buffers = 64MB
max_wal_size = 1GB
checkpoint_timeout = 30min
log_min_messages = warning
unix_socket_directories = '$pg_data'
CONF
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# A port free now may be taken before the server binds it (other runs share the machine): try another.
pg_port=""
for _ in 1 2 3 4 5; do
  port="$(free_port)"
  if pg_ctl -l "$pg_data/server.log" -w -t 120 -o "-p $port" start >/dev/null; then pg_port="$port"; break; fi
  pg_ctl -m immediate -w stop >/dev/null 2>&1 || true
done
[ -n "$pg_port" ] || { echo "PostgreSQL did not start:" >&2; cat "$pg_data/server.log" >&2; exit 1; }
export CHATOPSBOT_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$pg_port"

results=TestResults
rm -rf "$results"
set +e
# Every project on SQLite; tests marked Provider=Postgres use the server above.
dotnet test ChatOpsBot.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results/sqlite"
sqlite_exit=$?
# The host's behaviour tests again, each host on a database of its own on the server above. Tests about one provider
# (Provider=Sqlite: its file, WAL, the released SQLite database; Provider=Postgres) ran in the first pass already.
CHATOPSBOT_TEST_PROVIDER=Postgres dotnet test tests/ChatOpsBot.Tests/ChatOpsBot.Tests.csproj -c Release --no-build --nologo \
  --filter "Provider!=Sqlite&Provider!=Postgres" \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results/postgres"
postgres_exit=$?
set -e

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
def count(directory):
    passed = failed = 0
    for path in glob.glob(directory + "/**/*.trx", recursive=True):
        counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
        if counters is None:
            continue
        passed += int(counters.get("passed", 0))
        failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    return passed, failed
sqlite, postgres = count(sys.argv[1] + "/sqlite"), count(sys.argv[1] + "/postgres")
print(f"SQLite pass: {sqlite[0]} passed, {sqlite[1]} failed; PostgreSQL pass: {postgres[0]} passed, {postgres[1]} failed")
passed, failed = sqlite[0] + postgres[0], sqlite[1] + postgres[1]
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or sqlite[0] == 0 or postgres[0] == 0 else 0)
PY
summary_exit=$?
[ "$sqlite_exit" -eq 0 ] || exit "$sqlite_exit"
[ "$postgres_exit" -eq 0 ] || exit "$postgres_exit"
exit "$summary_exit"
