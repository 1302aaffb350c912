# Sourced by the benchmarks: one throwaway PostgreSQL cluster for the length of a benchmark run.
#
#   pg_start           initdb in a fresh directory under $TMPDIR and start it on a free loopback port (BENCH_PG_PORT
#                      to choose the port); installs Debian's server package when no initdb is found.
#   pg_createdb NAME   a fresh, empty database (the host's migrations make the schema)
#   pg_conn NAME       the Npgsql connection string for it (ChatOpsBot:Database:ConnectionString), with
#                      BENCH_PG_CONNECTION_OPTIONS appended when set (Npgsql keywords, to compare settings)
#   pg_psql NAME ...   psql on it: -X -v ON_ERROR_STOP=1 -q, further arguments passed on
#   pg_stop            fast shutdown and removal of the directory (the server's log copied to BENCH_PG_LOG first
#                      when that is set); safe to call twice and from an EXIT trap
#   pg_settings        one line: the version and the settings that decide durability and memory
#   pg_statements_reset NAME / pg_statements_top NAME
#                      with BENCH_PG_STATEMENTS=1 (which preloads pg_stat_statements): forget what was counted, and
#                      print the statements run since then, most calls first; without it both do nothing
#
# Run as root, initdb and the server run as the postgres user (initdb refuses root). The cluster keeps PostgreSQL's
# own durability defaults (fsync, synchronous_commit, full_page_writes on: what an operator runs); the only settings
# given are where it listens (127.0.0.1, the port, a socket in its own directory) and max_connections, raised so that
# two replicas' connection pools (EF Core and Hangfire each) fit. trust authentication, loopback only.
# PG_MAX_CONNECTIONS (default 300) and BENCH_PG_OPTIONS (more server options, such as
# "-c shared_preload_libraries=pg_stat_statements" for a look at what the host runs) are read by pg_start.

PG_BIN=
PG_DIR=
PG_PORT=
PG_HOST=127.0.0.1
PG_STARTED=0

pg__as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg__find_bin() {
    local initdb
    initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z $initdb ]]; then
        echo "== apt-get install postgresql" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
        initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)
    fi
    PG_BIN=$(dirname "$initdb")
}

pg__free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
    pg__find_bin
    PG_DIR=$(mktemp -d -t bench-pg.XXXXXX)
    if [[ $(id -u) == 0 ]]; then
        chown postgres:postgres "$PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    PG_PORT=${BENCH_PG_PORT:-$(pg__free_port)}
    pg__as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log"; return 1; }
    pg__as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=$PG_HOST -p $PG_PORT -k $PG_DIR -c max_connections=${PG_MAX_CONNECTIONS:-300} ${BENCH_PG_STATEMENTS:+-c shared_preload_libraries=pg_stat_statements} ${BENCH_PG_OPTIONS:-}" start >/dev/null \
        || { cat "$PG_DIR/server.log"; return 1; }
    PG_STARTED=1
}

pg_stop() {
    [[ -n $PG_DIR ]] || return 0
    if [[ $PG_STARTED == 1 ]]; then
        pg__as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        PG_STARTED=0
    fi
    [[ -n ${BENCH_PG_LOG:-} && -f $PG_DIR/server.log ]] && cp "$PG_DIR/server.log" "$BENCH_PG_LOG"
    rm -rf "$PG_DIR"
    PG_DIR=
}

pg_psql() { # <database> [psql arguments...]
    local db=$1
    shift
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$db" "$@"
}

pg_createdb() { # <name>
    pg_psql postgres -c "create database \"$1\""
}

pg_conn() { # <database>; BENCH_PG_CONNECTION_OPTIONS (e.g. "No Reset On Close=true") is appended when set
    echo "Host=$PG_HOST;Port=$PG_PORT;Database=$1;Username=postgres${BENCH_PG_CONNECTION_OPTIONS:+;$BENCH_PG_CONNECTION_OPTIONS}"
}

pg_settings() {
    pg_psql postgres -At -F' ' -c "select current_setting('server_version'),
        string_agg(name || '=' || current_setting(name), ' ' order by name) from pg_settings
        where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'max_connections',
                       'max_wal_size', 'checkpoint_timeout', 'work_mem', 'autovacuum')" | sed 's/^/PostgreSQL /'
}

# The providers a benchmark runs, in order, from BENCH_PROVIDER: sqlite, postgres or both (the default: SQLite first,
# then PostgreSQL, in one invocation, so the two figures and their ratio come from the same run).
bench_providers() {
    case ${BENCH_PROVIDER:-both} in
        sqlite) echo sqlite ;;
        postgres) echo postgres ;;
        both) echo sqlite postgres ;;
        *) echo "BENCH_PROVIDER must be sqlite, postgres or both, not '$BENCH_PROVIDER'" >&2; return 1 ;;
    esac
}

# DB_ENV: the host's database settings for <provider> (the database <name> on this cluster for postgres), as
# NAME=value words for env(1). SQLite keeps its default: chatopsbot.db in the data directory.
db_env() { # <provider> <postgres database name>
    case $1 in
        sqlite) DB_ENV=(ChatOpsBot__Database__Provider=Sqlite) ;;
        postgres) DB_ENV=(ChatOpsBot__Database__Provider=Postgres "ChatOpsBot__Database__ConnectionString=$(pg_conn "$2")") ;;
    esac
}

pg_statements_reset() { # <database>
    [[ -n ${BENCH_PG_STATEMENTS:-} ]] || return 0
    pg_psql "$1" -c 'create extension if not exists pg_stat_statements' -c 'select pg_stat_statements_reset()' >/dev/null
}

pg_statements_top() { # <database>: calls, total and mean server time, statement (first 110 characters, one line)
    [[ -n ${BENCH_PG_STATEMENTS:-} ]] || return 0
    echo "   pg_stat_statements since the reset (calls, total ms, mean µs, statement):"
    pg_psql "$1" -At -F' | ' -c "select calls, round(total_exec_time::numeric, 1), round((1000 * total_exec_time / calls)::numeric, 1),
        left(regexp_replace(query, '\\s+', ' ', 'g'), 110) from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) order by calls desc limit 15" | sed 's/^/     /'
}
