#!/usr/bin/env bash
# Make sure a PostgreSQL answers on 127.0.0.1 and that the test database exists.
#
# If a server already answers, only the database is created (when missing). Otherwise a throwaway
# cluster is started from the installed server binaries, with trust auth for user "postgres" and
# fsync off (test data only). It stays up for the next run; `ensure-postgres.sh stop` stops it.
#
#   FLUXO_TEST_DATABASE_URL  database to create (default postgresql://postgres@127.0.0.1:5432/test)
#   FLUXO_PG_PORT            port to use (default: the URL's port, else 5432)
#   FLUXO_PG_DIR             where a throwaway cluster lives (default /tmp/fluxo-pg-$UID-$PORT)
set -euo pipefail

url="${FLUXO_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
host=127.0.0.1

# postgresql://user[:pw]@host[:port]/dbname[?params] -> dbname and port, without a URL parser.
without_query="${url%%\?*}"
dbname="${without_query##*/}"
dbname="${dbname:-test}"
authority="${without_query#*://}"
authority="${authority%%/*}"
authority="${authority##*@}"
url_port=5432
[[ "$authority" =~ :([0-9]+)$ ]] && url_port="${BASH_REMATCH[1]}"
port="${FLUXO_PG_PORT:-$url_port}"

base="${FLUXO_PG_DIR:-/tmp/fluxo-pg-$(id -u)-$port}"
data="$base/data"
socket_dir="$base/socket"

say() { echo "ensure-postgres: $*"; }
die() { echo "ensure-postgres: $*" >&2; exit 1; }

# postgres refuses to run as root, so root hands the server over to the postgres OS user.
if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    # cd / first: postgres cannot read root's working directory and would warn about it.
    as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
    owner="$(id -un)"
    as_owner() { "$@"; }
fi

newest_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$dir" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    echo "$dir"
}

client() {
    # Prefer the client on PATH; fall back to the server's own copy.
    if command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
    else
        echo "$(newest_bindir)/$1"
    fi
}

ready() { "$(client pg_isready)" -q -h "$host" -p "$port"; }

ensure_database() {
    local exists
    # Variables are not interpolated in -c, so the name travels through stdin to be quoted safely.
    exists="$(printf "SELECT 1 FROM pg_database WHERE datname = :'db';\n" |
        "$(client psql)" -h "$host" -p "$port" -U postgres -d postgres -X -q -t -A -v db="$dbname")"
    if [ "$exists" = 1 ]; then
        echo "exists"
        return
    fi
    local output
    if ! output="$("$(client createdb)" -h "$host" -p "$port" -U postgres "$dbname" 2>&1)"; then
        # Another run may have created it in between; anything else is a real failure.
        [[ "$output" == *"already exists"* ]] || die "createdb $dbname failed: $output"
        echo "exists"
        return
    fi
    echo "created"
}

prepare_base_dir() {
    if [ -e "$base" ]; then
        # A predictable path in /tmp: refuse one that someone else planted.
        [ "$(stat -c %U "$base")" = "$owner" ] || die "$base exists but is not owned by $owner"
    else
        install -d -m 700 -o "$owner" -g "$(id -gn "$owner")" "$base"
    fi
    as_owner mkdir -p "$socket_dir"
}

start_throwaway() {
    local bindir
    bindir="$(newest_bindir)"
    prepare_base_dir
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
            >"$base/initdb.log" 2>&1 || die "initdb failed, see $base/initdb.log"
    fi
    as_owner "$bindir/pg_ctl" -D "$data" -l "$base/server.log" -w -t 30 \
        -o "-c listen_addresses=$host -p $port -k $socket_dir -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || die "pg_ctl start failed, see $base/server.log"
    echo "$bindir"
}

stop_throwaway() {
    [ -f "$data/PG_VERSION" ] || die "no throwaway cluster in $data"
    as_owner "$(newest_bindir)/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    say "stopped the throwaway PostgreSQL in $data"
}

main() {
    if [ "${1:-}" = stop ]; then
        stop_throwaway
        return
    fi
    # A server that is still starting up answers "rejecting connections" (exit 1) for a moment.
    local status=0
    for _ in $(seq 1 20); do
        status=0
        ready || status=$?
        [ "$status" -eq 1 ] || break
        sleep 0.25
    done
    local bindir database
    if [ "$status" -eq 0 ]; then
        database="$(ensure_database)"
        say "PostgreSQL already answers at $host:$port; database \"$dbname\" $database"
        return
    fi
    bindir="$(start_throwaway)"
    database="$(ensure_database)"
    say "started a throwaway PostgreSQL ($bindir) at $host:$port in $data;" \
        "database \"$dbname\" $database; stop it with: FLUXO_PG_PORT=$port $0 stop"
}

main "$@"
