#!/bin/sh
# Install the database clients the image backs up and restores with, chosen by build arguments
# (docker/Dockerfile runs this as root). A backup tool must match its server: pg_dump refuses a
# newer PostgreSQL, and MySQL and MariaDB each need their own mysqldump.
#   PG_CLIENT_VERSIONS  PostgreSQL client majors from apt.postgresql.org (default "14 15 16 17 18")
#   MYSQL_CLIENT        mariadb (Debian's MariaDB client, default) or mysql (MySQL's own client
#                       from repo.mysql.com, amd64 only)
#   MYSQL_SERIES        with MYSQL_CLIENT=mysql: 8.0 (default) or 8.4
#   MSSQL_DRIVER        freetds (Debian's, default) or msodbcsql18 (Microsoft's; accepts its EULA)
# With --print it only prints what it would install, one `key`, `source`, `package` or `driver`
# line each, and changes nothing.
set -eu

PG_CLIENT_VERSIONS=${PG_CLIENT_VERSIONS:-14 15 16 17 18}
MYSQL_CLIENT=${MYSQL_CLIENT:-mariadb}
MYSQL_SERIES=${MYSQL_SERIES:-8.0}
MSSQL_DRIVER=${MSSQL_DRIVER:-freetds}
if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    . /etc/os-release
fi
CODENAME=${DEBIAN_CODENAME:-${VERSION_CODENAME:-bookworm}}
DEBIAN_MAJOR=${DEBIAN_MAJOR:-${VERSION_ID:-12}}

fail() {
    echo "install-clients: $1" >&2
    exit 2
}

plan() {
    echo "key postgresql https://www.postgresql.org/media/keys/ACCC4CF8.asc"
    echo "source postgresql https://apt.postgresql.org/pub/repos/apt ${CODENAME}-pgdg main"
    [ -n "$PG_CLIENT_VERSIONS" ] || fail "PG_CLIENT_VERSIONS is empty; give at least one major version, e.g. \"17\"."
    for major in $PG_CLIENT_VERSIONS; do
        case "$major" in
            1[0-9] | [2-9][0-9]) echo "package postgresql-client-$major" ;;
            *) fail "PG_CLIENT_VERSIONS holds '$major'; give PostgreSQL major versions such as \"15 16 17\"." ;;
        esac
    done
    case "$MYSQL_CLIENT" in
        mariadb) echo "package mariadb-client" ;;
        mysql)
            case "$MYSQL_SERIES" in
                8.0) component=mysql-8.0 ;;
                8.4) component=mysql-8.4-lts ;;
                *) fail "MYSQL_SERIES is '$MYSQL_SERIES'; give 8.0 or 8.4, the series of the MySQL server." ;;
            esac
            echo "key mysql https://repo.mysql.com/RPM-GPG-KEY-mysql-2023"
            echo "source mysql http://repo.mysql.com/apt/debian ${CODENAME} ${component}"
            echo "package mysql-community-client"
            ;;
        *) fail "MYSQL_CLIENT is '$MYSQL_CLIENT'; give mysql (for a MySQL server) or mariadb (for a MariaDB server)." ;;
    esac
    case "$MSSQL_DRIVER" in
        freetds)
            echo "package unixodbc"
            echo "package tdsodbc"
            echo "driver FreeTDS"
            ;;
        msodbcsql18)
            echo "key microsoft https://packages.microsoft.com/keys/microsoft.asc"
            echo "source microsoft https://packages.microsoft.com/debian/${DEBIAN_MAJOR}/prod ${CODENAME} main"
            echo "package unixodbc"
            echo "package msodbcsql18"
            echo "driver ODBC Driver 18 for SQL Server"
            ;;
        *) fail "MSSQL_DRIVER is '$MSSQL_DRIVER'; give freetds or msodbcsql18." ;;
    esac
}

steps=$(plan)
if [ "${1:-}" = "--print" ]; then
    printf '%s\n' "$steps"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends ca-certificates curl gnupg
printf '%s\n' "$steps" | while read -r kind name rest; do
    case "$kind" in
        key)
            curl -fsSL -o "/tmp/$name.key" "$rest"
            gpg --dearmor -o "/usr/share/keyrings/$name.gpg" "/tmp/$name.key"
            rm "/tmp/$name.key"
            ;;
        source) echo "deb [signed-by=/usr/share/keyrings/$name.gpg] $rest" >"/etc/apt/sources.list.d/$name.list" ;;
    esac
done
apt-get update
packages=$(printf '%s\n' "$steps" | sed -n 's/^package //p')
# shellcheck disable=SC2086  # one word per package
ACCEPT_EULA=Y apt-get install -y --no-install-recommends $packages
driver=$(printf '%s\n' "$steps" | sed -n 's/^driver //p')
odbcinst -q -d -n "$driver" >/dev/null || fail "the ODBC driver '$driver' did not register."
echo "$driver" >/etc/trackstore-odbc-driver
apt-get purge -y --auto-remove curl gnupg
rm -rf /var/lib/apt/lists/*
