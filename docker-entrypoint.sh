#!/bin/sh
# Run a wirewatch command (default: the service). Before `run`, upgrade the database
# schema with the same global options (--config ...), retrying while the database starts:
# WIREWATCH_UPGRADE_ATTEMPTS tries (default 5), WIREWATCH_UPGRADE_DELAY seconds apart
# (default 3). Replicas upgrading at once are safe: PostgreSQL migrations are atomic.
set -eu
[ "$#" -eq 0 ] && set -- run

# The arguments before the "run" subcommand (global options), or nothing if no "run".
is_run=false
globals=0
for arg do
  if [ "$arg" = "run" ]; then is_run=true; break; fi
  globals=$((globals + 1))
done

upgrade() {
  keep=$1
  shift
  i=0
  for arg do
    shift
    if [ "$i" -lt "$keep" ]; then set -- "$@" "$arg"; fi
    i=$((i + 1))
  done
  attempts=${WIREWATCH_UPGRADE_ATTEMPTS:-5}
  n=1
  until wirewatch "$@" db upgrade; do
    if [ "$n" -ge "$attempts" ]; then
      echo "docker-entrypoint: database upgrade failed $n times; giving up" >&2
      return 1
    fi
    echo "docker-entrypoint: database upgrade failed; retrying in ${WIREWATCH_UPGRADE_DELAY:-3}s" >&2
    sleep "${WIREWATCH_UPGRADE_DELAY:-3}"
    n=$((n + 1))
  done
}

if $is_run; then
  upgrade "$globals" "$@"
fi
exec wirewatch "$@"
