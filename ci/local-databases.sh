#!/usr/bin/env bash
# Make sure the local PostgreSQL and MariaDB answer (starting them if not) and that the test
# login roles exist; print the TRACKSTORE_TEST_* URLs for the test harness as `export` lines.
# Needs root or the servers' superusers (trust auth locally); safe to run again.
set -euo pipefail

PG_URL_HOST=127.0.0.1
TEST_PASSWORD=${TRACKSTORE_TEST_PASSWORD:-trackstore-test}

wait_for() {  # wait_for NAME COMMAND...: up to 60 s
    local name=$1; shift
    for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
    echo "error: $name did not answer within 60 s; start it and run again." >&2
    return 1
}

start_postgresql() {
    command -v pg_isready >/dev/null || return 0
    if ! pg_isready -q -h "$PG_URL_HOST"; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >&2
        wait_for PostgreSQL pg_isready -q -h "$PG_URL_HOST"
    fi
    psql -h "$PG_URL_HOST" -U postgres -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trackstore') THEN
        CREATE ROLE trackstore;
    END IF;
END \$\$;
ALTER ROLE trackstore WITH LOGIN CREATEDB CREATEROLE PASSWORD '$TEST_PASSWORD';
SQL
    echo "export TRACKSTORE_TEST_POSTGRESQL_URL=postgresql://trackstore:$TEST_PASSWORD@$PG_URL_HOST:5432/postgres"
}

start_mariadb() {
    command -v mariadb >/dev/null || return 0
    if ! mariadb-admin -uroot -h 127.0.0.1 ping >/dev/null 2>&1; then
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >&2
        wait_for MariaDB mariadb-admin -uroot -h 127.0.0.1 ping
    fi
    mariadb -uroot -h 127.0.0.1 <<SQL
CREATE USER IF NOT EXISTS 'trackstore'@'%' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER 'trackstore'@'%' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'trackstore'@'%' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS 'trackstore'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
ALTER USER 'trackstore'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'trackstore'@'localhost' WITH GRANT OPTION;
SQL
    echo "export TRACKSTORE_TEST_MYSQL_URL=mysql+pymysql://trackstore:$TEST_PASSWORD@127.0.0.1:3306/mysql"
}

start_postgresql
start_mariadb
