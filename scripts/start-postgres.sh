#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback for the database tests and print the admin URL.
# Installs Debian's postgresql when missing (needs root). Prints nothing when it cannot run: the
# PostgreSQL tests then skip locally and fail in CI, where they are required.
set -euo pipefail
port="${PROCURE_TEST_PG_PORT:-55432}"
dir="${PROCURE_TEST_PG_DIR:-/tmp/procure-test-pg}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "start-postgres: postgresql absent and cannot be installed" >&2; exit 0
  fi
fi
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! run "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  run "$bin/initdb" -D "$dir" -U procure --auth=trust -E UTF8 >/dev/null
  run "$bin/pg_ctl" -D "$dir" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" -l "$dir/log" -w start >/dev/null
fi
echo "postgresql+psycopg://procure@127.0.0.1:$port/postgres"
