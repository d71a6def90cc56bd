#!/bin/sh
# Run a wirewatch command (default: the service); upgrade the database schema first.
set -eu
[ "$#" -eq 0 ] && set -- run
if [ "$1" = "run" ]; then
  wirewatch db upgrade
fi
exec wirewatch "$@"
