#!/bin/sh
# Container entrypoint. With no arguments (or only options) it runs store.cli.entrypoint, which waits
# for the database, upgrades when TRACKSTORE_UPGRADE asks, and then becomes the server. A command
# given instead (e.g. `trackstore db current`) runs as it is.
set -eu

if [ -z "${TRACKSTORE_MSSQL_ODBC_DRIVER:-}" ] && [ -r /etc/trackstore-odbc-driver ]; then
    TRACKSTORE_MSSQL_ODBC_DRIVER="$(cat /etc/trackstore-odbc-driver)"
    export TRACKSTORE_MSSQL_ODBC_DRIVER
fi

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
    exec "$@"
fi
exec python -m store.cli.entrypoint "$@"
