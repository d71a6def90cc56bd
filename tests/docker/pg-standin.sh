#!/bin/sh
# PostgreSQL as the official image runs it: POSTGRES_USER / POSTGRES_DB created on first
# start. Listens on 127.0.0.1:$1 (the test runs every container on the host network).
set -eu
port=${1:-5432}
bin=/usr/lib/postgresql/15/bin
data=/var/lib/postgresql/data
mkdir -p "$data" /run/postgresql
chown -R postgres:postgres "$data" /run/postgresql
if [ ! -s "$data/PG_VERSION" ]; then
  su postgres -c "$bin/initdb -D $data -U ${POSTGRES_USER:-postgres} --auth=trust -E UTF8 --no-locale" >/dev/null
  su postgres -c "$bin/pg_ctl -D $data -o '-c listen_addresses=127.0.0.1 -p $port -k /tmp' -w start" >/dev/null
  su postgres -c "$bin/createdb -h 127.0.0.1 -p $port -U ${POSTGRES_USER:-postgres} ${POSTGRES_DB:-postgres}" || true
  su postgres -c "$bin/pg_ctl -D $data -w stop" >/dev/null
fi
exec su postgres -c "exec $bin/postgres -D $data -c listen_addresses=127.0.0.1 -p $port -k /tmp"
