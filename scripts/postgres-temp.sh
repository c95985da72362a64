#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on loopback only, in a temporary folder.
#   scripts/postgres-temp.sh start DIR PORT   → prints the admin URL to give $VITRINE_TEST_PG_URL
#   scripts/postgres-temp.sh stop DIR
# Uses Debian's postgresql binaries (/usr/lib/postgresql/*/bin). PostgreSQL refuses to run as
# root, so as root the server runs as the `postgres` user the Debian package creates.
set -euo pipefail
action=${1:?start or stop}; dir=${2:?a folder}; port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgres-temp: no /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 2; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $action in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres" ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true ;;
  *) echo "postgres-temp: start or stop" >&2; exit 2 ;;
esac
